/* test_credential.c — src/login/credential.c: login identifiers normalised to the stored
 * credential forms of spec/identity.md §1.1 (A: e-mail lower-cased, B: E.164 mobile), and
 * the inputs that are refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "login/credential.h"

static void check(const char *in, enum credential_kind kind, const char *want)
{
    char out[CREDENTIAL_BUF];
    enum credential_kind k = credential_normalize(in, out, sizeof out);
    cr_assert_eq(k, kind, "kind of \"%s\": %d, want %d", in, k, kind);
    cr_assert_str_eq(out, want, "normalised \"%s\"", in);
}

static void check_invalid(const char *in)
{
    check(in, CREDENTIAL_INVALID, "");
}

Test(credential, test_email_is_lower_cased)
{
    check("Ola.Nordmann@Example.NO", CREDENTIAL_EMAIL, "ola.nordmann@example.no");
}

Test(credential, test_surrounding_whitespace_is_trimmed)
{
    check("  ola@example.no \t\r\n", CREDENTIAL_EMAIL, "ola@example.no");
    check(" +47 233 39 100 ", CREDENTIAL_PHONE, "+4723339100");
    check_invalid("   ");
    check_invalid("");
    check_invalid(NULL);
}

Test(credential, test_common_email_forms_are_accepted)
{
    check("first.last+tag@sub.example.co.uk", CREDENTIAL_EMAIL, "first.last+tag@sub.example.co.uk");
    check("o'neil_1@my-domain.com", CREDENTIAL_EMAIL, "o'neil_1@my-domain.com");
    check("a@b.no", CREDENTIAL_EMAIL, "a@b.no");
}

Test(credential, test_email_without_at_is_not_an_email)
{
    check_invalid("ola.example.no"); /* and not a phone either */
}

Test(credential, test_email_with_two_at_signs_is_rejected)
{
    check_invalid("ola@nordmann@example.no");
    check_invalid("ola@@example.no");
}

Test(credential, test_email_domain_without_dot_is_rejected)
{
    check_invalid("ola@localhost");
}

Test(credential, test_email_with_space_inside_is_rejected)
{
    check_invalid("ola nordmann@example.no");
    check_invalid("ola@exam ple.no");
}

Test(credential, test_email_with_bad_parts_is_rejected)
{
    check_invalid("@example.no");
    check_invalid("ola@");
    check_invalid("ola@.example.no");
    check_invalid("ola@example.no.");
    check_invalid("ola@example..no");
    check_invalid("ola@-example.no");
    check_invalid("ola@example-.no");
    check_invalid("ola@exa_mple.no");
    check_invalid("ola@10.0.0.1");
    check_invalid(".ola@example.no");
    check_invalid("ola.@example.no");
    check_invalid("ola..n@example.no");
    check_invalid("\xc3\xb8la@example.no"); /* non-ASCII local part */
    check_invalid("ola@ex\xc3\xa6mple.no");
    check_invalid("ola(x)@example.no");
}

Test(credential, test_email_of_60_chars_is_accepted_and_61_rejected)
{
    char s[80];
    memset(s, 'a', 48);
    strcpy(s + 48, "@example.com"); /* 48 + 12 = 60 */
    cr_assert_eq(strlen(s), 60);
    check(s, CREDENTIAL_EMAIL, s);
    memset(s, 'a', 49);
    strcpy(s + 49, "@example.com");
    cr_assert_eq(strlen(s), 61);
    check_invalid(s);
}

Test(credential, test_output_buffer_too_small_is_invalid_not_truncated)
{
    char out[8] = "x";
    cr_assert_eq(credential_normalize("ola@example.no", out, sizeof out), CREDENTIAL_INVALID);
    cr_assert_str_eq(out, "");
    cr_assert_eq(credential_normalize("+4723339100", out, sizeof out), CREDENTIAL_INVALID);
    cr_assert_eq(credential_normalize("+4723339100", out, 0), CREDENTIAL_INVALID);
}

Test(credential, test_phone_with_plus_and_spaces_becomes_e164)
{
    check("+47 233 39 100", CREDENTIAL_PHONE, "+4723339100");
    check("+47 (233) 39-100", CREDENTIAL_PHONE, "+4723339100");
    check("+46.70.123.45.67", CREDENTIAL_PHONE, "+46701234567");
}

Test(credential, test_phone_with_00_prefix_becomes_plus)
{
    check("0047 23339100", CREDENTIAL_PHONE, "+4723339100");
    check("0046-70-1234567", CREDENTIAL_PHONE, "+46701234567");
}

Test(credential, test_eight_digit_phone_without_country_code_is_norwegian)
{
    check("23339100", CREDENTIAL_PHONE, "+4723339100");
    check("233 39 100", CREDENTIAL_PHONE, "+4723339100");
    check("912 34 567", CREDENTIAL_PHONE, "+4791234567");
}

Test(credential, test_unprefixed_phone_of_other_length_is_rejected)
{
    check_invalid("2333910");    /* 7 digits */
    check_invalid("233391000");  /* 9 digits */
    check_invalid("4723339100"); /* country code without + or 00: not guessed */
}

Test(credential, test_phone_too_short_or_too_long_is_rejected)
{
    check_invalid("+4712345");               /* 7 digits after + */
    check("+47123456", CREDENTIAL_PHONE, "+47123456"); /* 8: the minimum */
    check("+123456789012345", CREDENTIAL_PHONE, "+123456789012345"); /* 15: E.164 max */
    check_invalid("+1234567890123456");      /* 16 */
    check_invalid("001234567890123456");
    check_invalid("+1 2345 6789 0123 4567 8901 2345 6789 0123 4567 8901 2345 6789"); /* long */
}

Test(credential, test_phone_with_letters_or_misplaced_plus_is_rejected)
{
    check_invalid("+47 233 39 1OO");
    check_invalid("2333910O");
    check_invalid("call 23339100");
    check_invalid("47+23339100");
    check_invalid("++4723339100");
    check_invalid("+47\t23339100");
    check_invalid("+0123456789"); /* country codes do not start with 0 */
    check_invalid("000047123456");
    check_invalid("+");
    check_invalid("00");
}

Test(credential, test_type_code_is_A_for_email_B_for_phone)
{
    cr_assert_eq(credential_type_code(CREDENTIAL_EMAIL), 'A');
    cr_assert_eq(credential_type_code(CREDENTIAL_PHONE), 'B');
    cr_assert_eq(credential_type_code(CREDENTIAL_INVALID), '\0');
}
