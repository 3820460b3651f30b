# English interface words that go with a number. CLDR plural categories for en: one (1), other. `$category` is the category
# of `$count`, given by the caller (ICU4X's CLDR data).
entries-count = { $category ->
    [one] { $count } offering
   *[other] { $count } offerings
}
sessions-count = { $category ->
    [one] { $count } session
   *[other] { $count } sessions
}
