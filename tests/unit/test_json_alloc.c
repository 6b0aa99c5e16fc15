/* test_json_alloc.c — codec/json_alloc.c: with connectd's allocator installed, jansson trees of
 * every block size are built and freed, also by another thread than the one that built them,
 * and jansson's text can still be released with free. (Under AddressSanitizer the allocator
 * is not installed and these run on malloc.) */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"

static void install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, json_alloc_init);
}

/* An object with strings of every length up to max (so every size class, and past it). */
static json_t *tree_of_sizes(size_t max)
{
    json_t *o = json_object();
    char *s = malloc(max + 1);
    for (size_t n = 0; n <= max; n++) {
        memset(s, 'a' + (int)(n % 26), n);
        s[n] = '\0';
        char key[16];
        snprintf(key, sizeof key, "k%zu", n);
        json_object_set_new(o, key, json_string(s));
    }
    free(s);
    return o;
}

Test(json_alloc, test_trees_of_every_block_size_round_trip)
{
    install();
    for (int round = 0; round < 3; round++) {
        json_t *o = tree_of_sizes(600);
        for (size_t n = 0; n <= 600; n += 37) {
            char key[16];
            snprintf(key, sizeof key, "k%zu", n);
            const char *v = json_string_value(json_object_get(o, key));
            cr_assert_not_null(v);
            cr_assert_eq(strlen(v), n);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(v[i], 'a' + (int)(n % 26));
        }
        json_decref(o);
    }
}

static void *build(void *arg)
{
    (void)arg;
    return tree_of_sizes(300);
}

static void *drop(void *arg)
{
    json_decref(arg);
    return NULL;
}

Test(json_alloc, test_a_tree_built_on_one_thread_is_freed_on_another)
{
    install();
    for (int i = 0; i < 20; i++) {
        pthread_t a, b;
        void *tree = NULL;
        cr_assert_eq(pthread_create(&a, NULL, build, NULL), 0);
        cr_assert_eq(pthread_join(a, &tree), 0);
        cr_assert_not_null(tree);
        cr_assert_eq(json_object_size(tree), 301);
        cr_assert_eq(pthread_create(&b, NULL, drop, tree), 0);
        cr_assert_eq(pthread_join(b, NULL), 0);
    }
}

/* libjwt frees json_dumps's text with free: every block must stay malloc's own. */
Test(json_alloc, test_json_dumps_text_is_freed_with_plain_free)
{
    install();
    for (int i = 0; i < 2000; i++) {
        json_t *v = json_pack("{s:s, s:i, s:[s, n, b]}", "name", "Ola Nordmann", "n", i, "list", "x", 1);
        char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        cr_assert_not_null(text);
        cr_assert_eq(strncmp(text, "{\"name\":\"Ola Nordmann\",\"n\":", 27), 0, "%s", text);
        free(text);
        json_decref(v);
    }
}
