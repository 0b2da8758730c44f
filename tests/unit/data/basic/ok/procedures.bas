SUB greet(person AS STRING, polite)
    IF person = "" THEN EXIT SUB
    TALK "Hello, " & person
END SUB

FUNCTION square(n AS NUMBER) AS NUMBER
    RETURN n * n
END FUNCTION

CALL greet("Ana", TRUE)
CALL greet "Bia", FALSE
greet "Caio", TRUE
area = square(4)

retry:
HEAR code AS INTEGER
IF code = 0 THEN GOTO retry
RETURN
