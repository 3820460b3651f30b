# Belarusian interface words that go with a number. CLDR plural categories for be: one (1, 21,
# 31…), few (2–4, 22–24…), many (0, 5–20, 25–30…), other (fractions). `$category` is the
# category of `$count`, given by the caller (ICU4X's CLDR data).
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
