# The Russian interface (the console's words too). Words that go with a number: CLDR plural
# categories for ru: one (1, 21, 31…), few (2–4, 22–24…), many (0, 5–20, 25–30…), other
# (fractions). `$category` is the category of `$count`, given by the caller (ICU4X's CLDR data).
entries-count = { $category ->
    [one] { $count } предложение
    [few] { $count } предложения
    [many] { $count } предложений
   *[other] { $count } предложения
}
sessions-count = { $category ->
    [one] { $count } занятие
    [few] { $count } занятия
    [many] { $count } занятий
   *[other] { $count } занятия
}

## The interface's words (i18n::Words): message id = field name with dashes.

skip = Перейти к содержанию
search = Искать
search-label = Что вы ищете?
search-placeholder = курсы английского, Python, керамика…
filters = Фильтры
from = С
to = По
mode = Формат
any = Любой
in-person = Очно
online = Онлайн
hybrid = Смешанный
free-only = Только бесплатные
max-price = Цена не выше
age = Возраст
language = Язык занятий
category = Категория
district = Район
provider = Организатор
sort = Порядок
sort-next = Ближайшие сначала
sort-relevance = По релевантности
results = Результаты
nothing = Ничего не найдено. Попробуйте другие слова или меньше фильтров.
next-page = Следующая страница
previous-page = Предыдущая страница
sessions = Занятия
place = Где
register = Записаться
sources = Источники
map = Показать на карте
image = изображение
cancelled = Отменено
free = Бесплатно
price = Цена
subscribe = Подписаться
add-to-calendar = Добавить в календарь
providers = Организаторы
not-found = Страница не найдена
bad-request = Неверный запрос
online-at = Онлайн
interface-language = Язык интерфейса
home = Главная
apply = Применить
accessibility = Доступность
sort-auto = Автоматически
filter-words = Слова
page = Страница
per-page = На странице
active-filters = Выбранные фильтры
last-page = Последняя страница
pages = Страницы
kind-course = Курс
kind-workshop = Семинар
kind-lecture = Лекция
kind-masterclass = Мастер-класс
kind-tour = Экскурсия
kind-event = Событие
kind-other = Другое

## Messages with arguments (Lang::message).

remove-filter = Убрать фильтр «{ $filter }»
page-of = Страница { $page } из { $pages }
past-last-page = На странице { $page } ничего нет: страниц всего { $pages }.
emptied-by = Без фильтра «{ $filter }» нашлось бы: { $found }.
bad-filter = Фильтр «{ $filter }» не понят и не применён: { $value }.

## The operator console's words (console::Words).

console-console = Пульт оператора
console-sign-in = Войти
console-sign-out = Выйти
console-name = Имя
console-password = Пароль
console-wrong = Неверное имя или пароль.
console-locked = Слишком много неудачных попыток с этого адреса; подождите.
console-signed-in-as = Вы вошли как
console-viewer-note = Вы наблюдатель: видите всё, но не решаете.
console-queue = Очередь проверки
console-near-pairs = Пары у порога совпадения
console-disagreements = Записи, источники которых расходятся
console-merge = Объединить
console-split = Разделить
console-hide = Скрыть
console-take-out = Вынести из записи
console-pin = Закрепить
console-field = Поле
console-value = Значение
console-reason = Почему
console-decisions = Решения
console-revoke = Отозвать
console-no-longer-applies = больше не применяется
console-revoked = отозвано
console-open-entry = Открыть запись
console-sources = Источники
console-merge-with = Объединить с записью (id)
console-nothing = Ничего.
console-providers = Поставщики: состояние
console-add-provider = Добавить поставщика
console-check = Проверить
console-save = Сохранить
console-saved = Сохранено
console-provider-file = Файл поставщика
console-offerings = Предложения
console-warnings = Предупреждения
