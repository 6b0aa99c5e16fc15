/* test_buf.c — the growable byte buffer and aborting allocators (src/util/buf.c): growth
 * on append and printf (including output longer than printf's 256-byte stack buffer), NUL
 * termination, and reset keeping the memory. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

Test(buf, fresh_buffer_is_empty_and_owns_nothing)
{
    struct buf b = BUF_INIT;
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    buf_free(&b);
}

Test(buf, append_keeps_data_nul_terminated)
{
    struct buf b = BUF_INIT;
    buf_append(&b, "abc", 3);
    buf_puts(&b, "de");
    buf_putc(&b, 'f');
    cr_assert_eq(b.len, 6);
    cr_assert_str_eq(b.data, "abcdef");
    buf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
}

Test(buf, append_of_nothing_still_terminates)
{
    struct buf b = BUF_INIT;
    buf_append(&b, NULL, 0);
    cr_assert_not_null(b.data);
    cr_assert_str_eq(b.data, "");
    buf_free(&b);
}

Test(buf, append_grows_past_initial_capacity)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < 10000; i++)
        buf_putc(&b, (char)('a' + i % 26));
    cr_assert_eq(b.len, 10000);
    cr_assert_gt(b.cap, b.len, "room for the NUL");
    cr_assert_eq(b.data[10000], '\0');
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(b.data[i], (char)('a' + i % 26));
    buf_free(&b);
}

Test(buf, append_keeps_embedded_nul_bytes)
{
    struct buf b = BUF_INIT;
    buf_append(&b, "a\0b", 3);
    cr_assert_eq(b.len, 3);
    cr_assert(memcmp(b.data, "a\0b", 4) == 0);
    buf_free(&b);
}

Test(buf, printf_formats_and_appends)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "x=");
    buf_printf(&b, "%d,%s,%.2f", 42, "y", 84.5);
    cr_assert_str_eq(b.data, "x=42,y,84.50");
    cr_assert_eq(b.len, strlen("x=42,y,84.50"));
    buf_free(&b);
}

Test(buf, printf_longer_than_256_bytes_is_not_truncated)
{
    char big[1001];
    memset(big, 'z', 1000);
    big[1000] = '\0';
    struct buf b = BUF_INIT;
    buf_puts(&b, "<");
    buf_printf(&b, "%s|%d", big, 7);
    cr_assert_eq(b.len, 1 + 1000 + 2);
    cr_assert_eq(b.data[0], '<');
    cr_assert_eq(b.data[1000], 'z');
    cr_assert_str_eq(b.data + 1001, "|7");
    buf_free(&b);
}

Test(buf, printf_of_exactly_256_bytes_is_not_truncated)
{
    char s[257];
    memset(s, 'q', 256);
    s[256] = '\0';
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s", s);
    cr_assert_eq(b.len, 256);
    cr_assert_str_eq(b.data, s);
    buf_free(&b);
}

Test(buf, reset_empties_but_keeps_memory)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "hello world");
    char *data = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(b.data, "");
    cr_assert_eq(b.data, data);
    cr_assert_eq(b.cap, cap);
    buf_puts(&b, "again");
    cr_assert_str_eq(b.data, "again");
    buf_free(&b);
}

Test(buf, reset_of_unused_buffer_is_harmless)
{
    struct buf b = BUF_INIT;
    buf_reset(&b);
    cr_assert_eq(b.len, 0);
    buf_free(&b);
}

Test(buf, reserve_makes_room_without_changing_length)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "ab");
    buf_reserve(&b, 5000);
    cr_assert_geq(b.cap, 5003);
    cr_assert_eq(b.len, 2);
    cr_assert_str_eq(b.data, "ab");
    buf_free(&b);
}

Test(buf, string_copies_are_independent)
{
    char *a = xstrdup("hello");
    char *b = xstrndup("hello world", 5);
    cr_assert_str_eq(a, "hello");
    cr_assert_str_eq(b, "hello");
    cr_assert_neq(a, b);
    free(a);
    free(b);
    int *z = xcalloc(4, sizeof *z);
    cr_assert_eq(z[0] | z[1] | z[2] | z[3], 0);
    z = xrealloc(z, 100 * sizeof *z);
    free(z);
}
