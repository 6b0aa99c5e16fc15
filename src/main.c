/* main.c — connectd entry point; everything happens in cli.c. */
#include "cli.h"
#include "codec/json.h"

int main(int argc, char **argv)
{
    json_alloc_init(); /* before any JSON value exists */
    return cli_main(argc, argv);
}
