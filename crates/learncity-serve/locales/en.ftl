# The English interface (the console's words too). Words that go with a number: CLDR plural
# categories for en: one (1), other. `$category` is the category of `$count`, given by the caller
# (ICU4X's CLDR data).
entries-count = { $category ->
    [one] { $count } offering
   *[other] { $count } offerings
}
sessions-count = { $category ->
    [one] { $count } session
   *[other] { $count } sessions
}

## The interface's words (i18n::Words): message id = field name with dashes.

skip = Skip to content
search = Search
search-label = What are you looking for?
search-placeholder = English course, Python, pottery…
filters = Filters
from = From
to = To
mode = Format
any = Any
in-person = In person
online = Online
hybrid = Hybrid
free-only = Free only
max-price = Price at most
age = Age
language = Language
category = Category
district = District
provider = Provider
sort = Order
sort-next = Soonest first
sort-relevance = Best match
results = Results
nothing = Nothing found. Try other words or fewer filters.
next-page = Next page
previous-page = Previous page
sessions = Sessions
place = Where
register = Register
sources = Sources
map = Show on a map
image = image
cancelled = Cancelled
free = Free
price = Price
subscribe = Subscribe
add-to-calendar = Add to my calendar
providers = Providers
not-found = Page not found
bad-request = Bad request
online-at = Online
interface-language = Interface language
home = Home
apply = Apply
accessibility = Accessibility
sort-auto = Automatic
filter-words = Words
page = Page
per-page = Per page
active-filters = Active filters
last-page = Last page
pages = Pages
kind-course = Course
kind-workshop = Workshop
kind-lecture = Lecture
kind-masterclass = Master class
kind-tour = Tour
kind-event = Event
kind-other = Other

## Messages with arguments (Lang::message).

remove-filter = Remove the filter “{ $filter }”
page-of = Page { $page } of { $pages }
past-last-page = Page { $page } is empty: there are { $pages } pages.
emptied-by = Without the filter “{ $filter }”: { $found }.
bad-filter = The filter “{ $filter }” was not understood and not applied: { $value }.

## The operator console's words (console::Words).

console-console = Operator console
console-sign-in = Sign in
console-sign-out = Sign out
console-name = Name
console-password = Password
console-wrong = Wrong name or password.
console-locked = Too many wrong sign-ins from this address; wait.
console-signed-in-as = Signed in as
console-viewer-note = You are a viewer: you see everything and decide nothing.
console-queue = Review queue
console-near-pairs = Pairs near the match score
console-disagreements = Entries whose sources disagree
console-merge = Merge
console-split = Split
console-hide = Hide
console-take-out = Take out of the entry
console-pin = Pin
console-field = Field
console-value = Value
console-reason = Why
console-decisions = Decisions
console-revoke = Revoke
console-no-longer-applies = no longer applies
console-revoked = revoked
console-open-entry = Open the entry
console-sources = Sources
console-merge-with = Merge with entry (id)
console-nothing = Nothing.
console-providers = Providers' health
console-add-provider = Add a provider
console-check = Check
console-save = Save
console-saved = Saved
console-provider-file = Provider file
console-offerings = Offerings
console-warnings = Warnings
