/*
 * compile.h - "drivemonctl compile": the BASIC compiler on one file, with
 * no agent and no store.
 */
#ifndef DRIVEMON_TOOLS_COMPILE_H
#define DRIVEMON_TOOLS_COMPILE_H

/*
 * argv[0] is "compile"; then FILE.bas and at most one of --ast, --mcp,
 * --openai.  Diagnostics go to stderr, the chosen output to stdout.
 * Returns the exit status: 0 compiled (warnings allowed), 1 errors or an
 * unreadable file, 2 usage.
 */
int compile_command(int argc, char **argv);

#endif
