REM The simple statements of a dialog.
' a quote starts a comment too
// and so do two slashes
LET greeting = "Hello"
SET count = 0
name = "Ana" ' a comment after a statement
TALK greeting & ", " & name
TALK "Line one", "line two"
HEAR answer
HEAR age AS INTEGER
HEAR choice AS "Yes", "No", "Maybe"
PRINT "debug: ", count
WAIT 2
x$ = "classic"
