/* cli.h — the command line: serve, migrate, client add|list|remove, version. */
#ifndef CONNECTD_CLI_H
#define CONNECTD_CLI_H

int cli_main(int argc, char **argv);

#endif
