# Russian interface words that go with a number. CLDR plural categories for ru: one (1, 21,
# 31…), few (2–4, 22–24…), many (0, 5–20, 25–30…), other (fractions). `$category` is the
# category of `$count`, given by the caller (ICU4X's CLDR data).
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
