a = (1 + 2
b = 1 +
c = obj.
d = [1, 2
TALK "still parsed"
e = {name "x"}
f = "${unclosed"
g = "never closed
h = 1 # 2
NULL = 1
f(x) = 2
