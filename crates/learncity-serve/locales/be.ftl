# The Belarusian interface (the console's words too). Words that go with a number: CLDR plural
# categories for be: one (1, 21, 31…), few (2–4, 22–24…), many (0, 5–20, 25–30…), other
# (fractions). `$category` is the category of `$count`, given by the caller (ICU4X's CLDR data).
entries-count = { $category ->
    [one] { $count } прапанова
    [few] { $count } прапановы
    [many] { $count } прапаноў
   *[other] { $count } прапановы
}
sessions-count = { $category ->
    [one] { $count } занятак
    [few] { $count } заняткі
    [many] { $count } заняткаў
   *[other] { $count } занятка
}

## The interface's words (i18n::Words): message id = field name with dashes.

skip = Перайсці да зместу
search = Шукаць
search-label = Што вы шукаеце?
search-placeholder = курсы англійскай мовы, Python, кераміка…
filters = Фільтры
from = З
to = Па
mode = Фармат
any = Любы
in-person = Вочна
online = Анлайн
hybrid = Змешана
free-only = Толькі бясплатныя
max-price = Кошт не вышэй за
age = Узрост
language = Мова заняткаў
category = Катэгорыя
district = Раён
provider = Арганізатар
sort = Парадак
sort-next = Бліжэйшыя спачатку
sort-relevance = Па адпаведнасці
results = Вынікі
nothing = Нічога не знойдзена. Паспрабуйце іншыя словы або менш фільтраў.
next-page = Наступная старонка
previous-page = Папярэдняя старонка
sessions = Заняткі
place = Дзе
register = Запісацца
sources = Крыніцы
map = Паказаць на карце
image = выява
cancelled = Адменена
free = Бясплатна
price = Кошт
subscribe = Падпісацца
add-to-calendar = Дадаць у календар
providers = Арганізатары
not-found = Старонка не знойдзена
bad-request = Памылковы запыт
online-at = Анлайн
interface-language = Мова інтэрфейсу
home = Галоўная
apply = Ужыць
accessibility = Даступнасць
sort-auto = Аўтаматычна
filter-words = Словы
page = Старонка
per-page = На старонцы
active-filters = Выбраныя фільтры
last-page = Апошняя старонка
pages = Старонкі
kind-course = Курс
kind-workshop = Семінар
kind-lecture = Лекцыя
kind-masterclass = Майстар-клас
kind-tour = Экскурсія
kind-event = Падзея
kind-other = Іншае

## Messages with arguments (Lang::message).

remove-filter = Прыбраць фільтр «{ $filter }»
page-of = Старонка { $page } з { $pages }
past-last-page = На старонцы { $page } нічога няма: старонак усяго { $pages }.
emptied-by = Без фільтра «{ $filter }» знайшлося б: { $found }.
bad-filter = Фільтр «{ $filter }» не зразумелы і не ўжыты: { $value }.

## The operator console's words (console::Words).

console-console = Пульт аператара
console-sign-in = Увайсці
console-sign-out = Выйсці
console-name = Імя
console-password = Пароль
console-wrong = Няправільнае імя або пароль.
console-locked = Зашмат няўдалых спроб з гэтага адраса; пачакайце.
console-signed-in-as = Вы ўвайшлі як
console-viewer-note = Вы назіральнік: бачыце ўсё, але не вырашаеце.
console-queue = Чарга праверкі
console-near-pairs = Пары каля парога супадзення
console-disagreements = Запісы, крыніцы якіх не згодныя
console-merge = Аб'яднаць
console-split = Раздзяліць
console-hide = Схаваць
console-take-out = Вынесці з запісу
console-pin = Замацаваць
console-field = Поле
console-value = Значэнне
console-reason = Чаму
console-decisions = Рашэнні
console-revoke = Адклікаць
console-no-longer-applies = больш не ўжываецца
console-revoked = адклікана
console-open-entry = Адкрыць запіс
console-sources = Крыніцы
console-merge-with = Аб'яднаць з запісам (id)
console-nothing = Нічога.
console-providers = Пастаўшчыкі: стан
console-add-provider = Дадаць пастаўшчыка
console-check = Праверыць
console-save = Захаваць
console-saved = Захавана
console-provider-file = Файл пастаўшчыка
console-offerings = Прапановы
console-warnings = Папярэджанні
