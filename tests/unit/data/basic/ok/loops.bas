FOR i = 1 TO 10 STEP 2
    IF i = 7 THEN EXIT FOR
    TALK i
NEXT i

FOR j = 10 TO 1 STEP -1
NEXT

FOR EACH item IN cart.items
    total = total + item.price
END FOR

DO WHILE tries < 3
    tries = tries + 1
LOOP

DO UNTIL done
    done = TRUE
LOOP

DO
    n = n - 1
    IF n < 0 THEN EXIT DO
LOOP UNTIL n = 0

WHILE queue.length > 0
    queue.pop()
WEND

WHILE busy
    busy = FALSE
END WHILE
