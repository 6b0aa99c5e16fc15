/* test_i18n.c — the login pages' message catalogue and Accept-Language choice
 * (src/login/i18n.c): every text exists in both languages with the right placeholders, and
 * i18n_choose follows q-values, maps nb/nn/no to Bokmål and falls back to English. */
#include <criterion/criterion.h>
#include <string.h>

#include "login/i18n.h"

static enum lang choose(const char *h)
{
    return i18n_choose(h, h ? strlen(h) : 0);
}

static size_t count_placeholders(const char *s)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, "%s")) != NULL; p += 2)
        n++;
    return n;
}

Test(i18n, every_message_has_english_and_norwegian_text)
{
    for (int m = 0; m < MSG_COUNT; m++) {
        const char *en = i18n(LANG_EN, (enum msg)m), *nb = i18n(LANG_NB, (enum msg)m);
        cr_assert_not_null(en);
        cr_assert_not_null(nb);
        cr_assert_gt(strlen(en), 0, "message %d has no English text", m);
        cr_assert_gt(strlen(nb), 0, "message %d has no Norwegian text", m);
        cr_assert_str_neq(en, nb, "message %d is not translated", m);
    }
}

Test(i18n, texts_have_no_control_characters_or_html_specials)
{
    for (int m = 0; m < MSG_COUNT; m++)
        for (int l = 0; l < LANG_COUNT; l++)
            for (const unsigned char *p = (const unsigned char *)i18n((enum lang)l, (enum msg)m); *p; p++) {
                /* the code e-mail is plain text with paragraphs; everything else is one line */
                cr_assert(*p >= 0x20 || (*p == '\n' && m == MSG_CODE_MAIL_BODY), "message %d/%d", m, l);
                cr_assert_null(strchr("<>&\"", *p), "message %d/%d", m, l);
            }
}

Test(i18n, only_the_code_and_approval_texts_take_one_argument)
{
    for (int m = 0; m < MSG_COUNT; m++)
        for (int l = 0; l < LANG_COUNT; l++) {
            const char *s = i18n((enum lang)l, (enum msg)m);
            size_t want =
                (m == MSG_CODE_SENT || m == MSG_APPROVE_TEXT || m == MSG_CODE_MAIL_BODY || m == MSG_CODE_SMS) ? 1 : 0;
            cr_assert_eq(count_placeholders(s), want, "message %d/%d: %s", m, l, s);
            cr_assert_eq(strchr(s, '%') ? 1u : 0u, want, "stray %% in message %d/%d", m, l);
        }
}

Test(i18n, wrong_credentials_text_names_all_three_so_it_reveals_nothing)
{
    cr_assert_str_eq(i18n(LANG_EN, MSG_WRONG_CREDENTIALS), "Wrong e-mail, phone number or password.");
    cr_assert_str_eq(i18n(LANG_NB, MSG_WRONG_CREDENTIALS), "Feil e-post, mobilnummer eller passord.");
}

Test(i18n, credential_label_matches_the_issue)
{
    cr_assert_str_eq(i18n(LANG_EN, MSG_CREDENTIAL_LABEL), "E-mail or mobile number");
    cr_assert_str_eq(i18n(LANG_NB, MSG_CREDENTIAL_LABEL), "E-post eller mobilnummer");
}

Test(i18n, norwegian_is_written_with_utf8_letters)
{
    cr_assert_str_eq(i18n(LANG_NB, MSG_REMEMBER_ME), "Husk meg på denne enheten");
    cr_assert_str_eq(i18n(LANG_NB, MSG_DENY), "Avslå");
    cr_assert_not_null(strstr(i18n(LANG_NB, MSG_TRY_LATER), "forsøk"));
}

Test(i18n, subst_puts_the_argument_in_place_as_plain_text)
{
    char out[128];
    cr_assert(i18n_subst(out, sizeof out, LANG_NB, MSG_CODE_SMS, "<123456>"));
    cr_assert_str_eq(out, "Engangskoden din er <123456>. Den er gyldig i 10 minutter.");
    cr_assert(i18n_subst(out, sizeof out, LANG_EN, MSG_CANCEL, "x"));
    cr_assert_str_eq(out, "Cancel");
    cr_assert_not(i18n_subst(out, 10, LANG_EN, MSG_CODE_SMS, "123456"), "a text that does not fit is refused");
}

Test(i18n, out_of_range_lookups_are_safe)
{
    cr_assert_str_eq(i18n((enum lang)99, MSG_CANCEL), "Cancel");
    cr_assert_str_eq(i18n(LANG_NB, (enum msg)MSG_COUNT), "");
    cr_assert_str_eq(i18n(LANG_NB, (enum msg)-1), "");
}

Test(i18n, tags_are_bcp47)
{
    cr_assert_str_eq(i18n_tag(LANG_EN), "en");
    cr_assert_str_eq(i18n_tag(LANG_NB), "nb");
}

Test(i18n, absent_or_empty_header_means_english)
{
    cr_assert_eq(i18n_choose(NULL, 0), LANG_EN);
    cr_assert_eq(choose(""), LANG_EN);
    cr_assert_eq(choose("  ,  ,"), LANG_EN);
}

Test(i18n, norwegian_browser_gets_bokmal)
{
    cr_assert_eq(choose("nb-NO,nb;q=0.9,en;q=0.8"), LANG_NB);
    cr_assert_eq(choose("nb"), LANG_NB);
    cr_assert_eq(choose("NB-no"), LANG_NB);
}

Test(i18n, nynorsk_and_generic_norwegian_get_bokmal)
{
    cr_assert_eq(choose("nn"), LANG_NB);
    cr_assert_eq(choose("no"), LANG_NB);
    cr_assert_eq(choose("nn-NO, en;q=0.5"), LANG_NB);
    cr_assert_eq(choose("no-NO"), LANG_NB);
}

Test(i18n, english_browser_gets_english)
{
    cr_assert_eq(choose("en-US,en;q=0.9,nb;q=0.8"), LANG_EN);
    cr_assert_eq(choose("en-GB"), LANG_EN);
}

Test(i18n, higher_q_wins_regardless_of_order)
{
    cr_assert_eq(choose("en;q=0.5, nb;q=0.6"), LANG_NB);
    cr_assert_eq(choose("nb;q=0.5, en"), LANG_EN);
    cr_assert_eq(choose("en;q=0.001, nb;q=0.002"), LANG_NB);
}

Test(i18n, unsupported_first_choice_falls_to_the_next_we_have)
{
    cr_assert_eq(choose("da, nb;q=0.5"), LANG_NB);
    cr_assert_eq(choose("sv-SE,sv;q=0.9,nb;q=0.8,en;q=0.7"), LANG_NB);
    cr_assert_eq(choose("de, fr;q=0.9"), LANG_EN);
}

Test(i18n, equal_q_first_listed_wins)
{
    cr_assert_eq(choose("nb, en"), LANG_NB);
    cr_assert_eq(choose("en, nb"), LANG_EN);
    cr_assert_eq(choose("en;q=0.8, nb;q=0.8"), LANG_EN);
    cr_assert_eq(choose("nb;q=0.8, en;q=0.800"), LANG_NB);
}

Test(i18n, wildcard_alone_means_english)
{
    cr_assert_eq(choose("*"), LANG_EN);
    cr_assert_eq(choose("da, *;q=0.1"), LANG_EN);
}

Test(i18n, wildcard_does_not_override_an_explicit_refusal)
{
    cr_assert_eq(choose("en;q=0, *"), LANG_NB);
    cr_assert_eq(choose("nb, *;q=0.5"), LANG_NB);
}

Test(i18n, q_zero_means_not_acceptable)
{
    cr_assert_eq(choose("nb;q=0"), LANG_EN);
    cr_assert_eq(choose("en;q=0, nb;q=0.1"), LANG_NB);
    cr_assert_eq(choose("en;q=0.0, nb;q=0.000"), LANG_EN);
}

Test(i18n, malformed_header_means_english)
{
    const char *bad[] = {"nb;q=abc", "nb;q=2", "nb;q=1.5", "nb;q=0.5000", "nb;q=", "nb;x=1", "nb;", "n b",
                         "nb-", "nb--NO", "toolonglang", "nb-toolongsub", "12", "\xff\xfe", ";;;", "nb;q=0.5x",
                         "nb q=1", "=nb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(choose(bad[i]), LANG_EN, "header %s", bad[i]);
}

Test(i18n, a_malformed_range_does_not_spoil_the_others)
{
    cr_assert_eq(choose("en;q=bad, nb;q=0.5"), LANG_NB);
    cr_assert_eq(choose("<script>, nb"), LANG_NB);
}

Test(i18n, whitespace_around_separators_is_allowed)
{
    cr_assert_eq(choose("  en ; q=0.1 ,\tnb ;q=0.9  "), LANG_NB);
    cr_assert_eq(choose("en;Q=0.1,nb"), LANG_NB);
}

Test(i18n, length_bounds_the_header)
{
    const char *h = "en, nb;q=0.5";
    cr_assert_eq(i18n_choose("nb, en", 2), LANG_NB);
    cr_assert_eq(i18n_choose(h, 2), LANG_EN);
    cr_assert_eq(i18n_choose("nbXXXX", 2), LANG_NB); /* no NUL needed at len */
}
