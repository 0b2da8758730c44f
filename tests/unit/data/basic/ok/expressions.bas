n = 42
f = 3.25e2
s = "She said ""hi"""
t = "Hello ${user.name}, you have ${count + 1} messages"
yes = TRUE
no = FALSE
empty = NULL
list = [1, "two", 3.0,
    [4, 5]]
person = {
    name: "Ana",
    "home town": "Porto",
    tags: ["a", "b"]
}
arr = NEW ARRAY
obj = NEW OBJECT
v = order.items[0].price.round(2)
calc = -2 ^ 2 ^ 3 + 4 * 5 MOD 3 - 6 / 2 \ 1
joined = first & " " & last
cmp = a = b OR a <> b AND NOT c
logic = a && b || !c
mixed = (a + b) * (c - d) >= 10 == TRUE
called = MAX(1, 2, 3)
formatted = FORMAT d, "yyyy-MM-dd"
upper = UCASE name
