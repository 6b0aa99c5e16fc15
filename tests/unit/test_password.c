/* test_password.c — src/login/password.c: Argon2id round trip, refusal of malformed stored
 * strings, parameters recorded in the PHC string and rehash on raised costs, the dummy
 * verification's timing (no enumeration, spec/identity.md §4.1) and the password policy.
 * Cheap test parameters keep it fast; one test uses the defaults. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "login/password.h"

static const struct password_params cheap = {1, 1024, 1};

static char *hash_cheap(const char *pw, char out[PASSWORD_ENCODED_MAX])
{
    cr_assert(password_hash(pw, &cheap, out, PASSWORD_ENCODED_MAX));
    return out;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(password, test_hash_then_verify_same_password_succeeds)
{
    char enc[PASSWORD_ENCODED_MAX];
    hash_cheap("correct horse battery", enc);
    cr_assert(password_verify("correct horse battery", enc));
}

Test(password, test_wrong_password_is_rejected)
{
    char enc[PASSWORD_ENCODED_MAX];
    hash_cheap("correct horse battery", enc);
    cr_assert_not(password_verify("correct horse batterY", enc));
    cr_assert_not(password_verify("", enc));
    cr_assert_not(password_verify(NULL, enc));
}

Test(password, test_two_hashes_of_one_password_differ_by_salt)
{
    char a[PASSWORD_ENCODED_MAX], b[PASSWORD_ENCODED_MAX];
    hash_cheap("same password", a);
    hash_cheap("same password", b);
    cr_assert_str_neq(a, b);
    cr_assert(password_verify("same password", a));
    cr_assert(password_verify("same password", b));
}

Test(password, test_encoded_string_is_phc_argon2id_with_its_params)
{
    char enc[PASSWORD_ENCODED_MAX];
    struct password_params p = {3, 2048, 2};
    cr_assert(password_hash("parameters", &p, enc, sizeof enc));
    cr_assert(strncmp(enc, "$argon2id$v=19$m=2048,t=3,p=2$", 30) == 0, "%s", enc);
    cr_assert(password_verify("parameters", enc));
}

Test(password, test_hash_fails_cleanly_on_small_buffer_or_bad_params)
{
    char small[40] = "x";
    cr_assert_not(password_hash("password", &cheap, small, sizeof small));
    cr_assert_str_eq(small, "");
    char enc[PASSWORD_ENCODED_MAX];
    struct password_params zero_t = {0, 1024, 1}, tiny_m = {1, 4, 1}, huge_m = {1, 1u << 30, 1};
    cr_assert_not(password_hash("password", &zero_t, enc, sizeof enc));
    cr_assert_not(password_hash("password", &tiny_m, enc, sizeof enc));
    cr_assert_not(password_hash("password", &huge_m, enc, sizeof enc));
}

Test(password, test_malformed_encoded_strings_are_rejected)
{
    char enc[PASSWORD_ENCODED_MAX];
    hash_cheap("password1", enc);
    char buf[PASSWORD_ENCODED_MAX + 8];

    cr_assert_not(password_verify("password1", NULL));
    cr_assert_not(password_verify("password1", ""));
    cr_assert_not(password_verify("password1", "garbage"));
    cr_assert_not(password_verify("password1", "$argon2id$"));
    cr_assert_not(password_verify("password1", "$argon2id$v=19$m=1024,t=1,p=1$$"));
    /* every truncation of a valid string */
    for (size_t n = 0; n < strlen(enc); n++) {
        memcpy(buf, enc, n);
        buf[n] = '\0';
        cr_assert_not(password_verify("password1", buf), "truncated to %zu: %s", n, buf);
    }
    /* another Argon2 variant with otherwise identical fields */
    snprintf(buf, sizeof buf, "$argon2i$%s", enc + strlen("$argon2id$"));
    cr_assert_not(password_verify("password1", buf));
    snprintf(buf, sizeof buf, "$argon2d$%s", enc + strlen("$argon2id$"));
    cr_assert_not(password_verify("password1", buf));
    /* another version, padding, trailing junk, changed tag */
    snprintf(buf, sizeof buf, "$argon2id$v=16$%s", enc + strlen("$argon2id$v=19$"));
    cr_assert_not(password_verify("password1", buf));
    snprintf(buf, sizeof buf, "%s=", enc);
    cr_assert_not(password_verify("password1", buf));
    snprintf(buf, sizeof buf, "%s$", enc);
    cr_assert_not(password_verify("password1", buf));
    strcpy(buf, enc);
    buf[strlen(buf) - 2] = buf[strlen(buf) - 2] == 'A' ? 'B' : 'A';
    cr_assert_not(password_verify("password1", buf));
    /* absurd costs are refused without being attempted */
    cr_assert_not(password_verify("password1", "$argon2id$v=19$m=4000000000,t=1,p=1$"
                                                "c29tZXNhbHRzb21lc2FsdA$"
                                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    cr_assert_not(password_verify("password1", "$argon2id$v=19$m=1024,t=99999999999,p=1$"
                                                "c29tZXNhbHRzb21lc2FsdA$"
                                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    cr_assert_not(password_verify("password1", "$argon2id$v=19$m=1024,t=01,p=1$"
                                                "c29tZXNhbHRzb21lc2FsdA$"
                                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

Test(password, test_needs_rehash_when_any_cost_goes_up_not_when_equal)
{
    char enc[PASSWORD_ENCODED_MAX];
    struct password_params p = {2, 2048, 1};
    cr_assert(password_hash("rehash me", &p, enc, sizeof enc));
    cr_assert_not(password_needs_rehash(enc, &p));
    struct password_params lower = {1, 1024, 1};
    cr_assert_not(password_needs_rehash(enc, &lower));
    struct password_params more_t = {3, 2048, 1}, more_m = {2, 4096, 1}, more_p = {2, 2048, 2};
    cr_assert(password_needs_rehash(enc, &more_t));
    cr_assert(password_needs_rehash(enc, &more_m));
    cr_assert(password_needs_rehash(enc, &more_p));
    cr_assert(password_needs_rehash("garbage", &p));
    cr_assert(password_needs_rehash(NULL, &p));
}

Test(password, test_default_params_hash_verifies_and_needs_no_rehash, .timeout = 30)
{
    char enc[PASSWORD_ENCODED_MAX];
    double t0 = now_s();
    cr_assert(password_hash("default cost", NULL, enc, sizeof enc));
    double t1 = now_s();
    cr_assert(password_verify("default cost", enc));
    double t2 = now_s();
    cr_assert(strncmp(enc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "%s", enc);
    cr_assert_not(password_needs_rehash(enc, NULL));
    cr_assert(password_needs_rehash(hash_cheap("x", (char[PASSWORD_ENCODED_MAX]){0}), NULL));
    cr_log_info("default params: hash %.1f ms, verify %.1f ms", (t1 - t0) * 1e3,
                (t2 - t1) * 1e3);
}

Test(password, test_dummy_verify_tolerates_null_password_and_invalid_params)
{
    struct password_params invalid = {0, 0, 0}; /* falls back to the defaults */
    password_dummy_verify(NULL, &cheap);
    password_dummy_verify("x", &invalid);
    password_dummy_verify("x", NULL);
}

static void repeat(char *out, const char *unit, int times)
{
    out[0] = '\0';
    for (int i = 0; i < times; i++)
        strcat(out, unit);
}

Test(password, test_password_of_7_chars_is_rejected_and_8_accepted)
{
    const char *why = NULL;
    cr_assert_not(password_acceptable("abcdefg", &why));
    cr_assert_str_eq(why, "The password must be at least 8 characters long.");
    cr_assert(password_acceptable("abcdefgh", &why));
    cr_assert_null(why);
}

Test(password, test_password_of_128_chars_is_accepted_and_129_rejected)
{
    char s[600];
    const char *why = NULL;
    repeat(s, "a", 128);
    cr_assert(password_acceptable(s, &why));
    repeat(s, "a", 129);
    cr_assert_not(password_acceptable(s, &why));
    cr_assert_str_eq(why, "The password must be at most 128 characters long.");
}

Test(password, test_password_length_counts_unicode_characters_not_bytes)
{
    char s[600];
    const char *why = NULL;
    repeat(s, "\xc3\xa6", 7); /* "æ" x7: 14 bytes, 7 characters */
    cr_assert_not(password_acceptable(s, &why));
    repeat(s, "\xc3\xb8", 8); /* "ø" x8 */
    cr_assert(password_acceptable(s, &why));
    repeat(s, "\xf0\x9f\x94\x91", 128); /* 🔑 x128: 512 bytes */
    cr_assert(password_acceptable(s, &why));
    repeat(s, "\xe2\x82\xac", 129); /* € x129 */
    cr_assert_not(password_acceptable(s, &why));
}

Test(password, test_password_of_only_whitespace_is_rejected)
{
    const char *why = NULL;
    cr_assert_not(password_acceptable("          ", &why));
    cr_assert_str_eq(why, "The password must not consist of spaces only.");
    cr_assert_not(password_acceptable("  \xc2\xa0  \xe3\x80\x80   ", &why)); /* NBSP, ideographic */
    cr_assert(password_acceptable("  spaced out  ", &why));
}

Test(password, test_password_with_invalid_utf8_or_control_chars_is_rejected)
{
    const char *why = NULL;
    cr_assert_not(password_acceptable("abcdefgh\xff", &why));
    cr_assert_str_eq(why, "The password contains invalid characters.");
    cr_assert_not(password_acceptable("abcd\xc0\xafefgh", &why)); /* overlong '/' */
    cr_assert_not(password_acceptable("abcdefgh\xc3", &why));     /* truncated sequence */
    cr_assert_not(password_acceptable("abcd\tefgh", &why));
    cr_assert_str_eq(why, "The password must not contain control characters.");
    cr_assert_not(password_acceptable(NULL, NULL));
}
