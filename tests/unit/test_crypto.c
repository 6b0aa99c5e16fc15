/* test_crypto.c — src/util/crypto.c: random ids, client-secret generation and hashing,
 * constant-time comparison. Randomness is checked by format and by uniqueness over a
 * sample; the hash by round trip and by rejecting wrong secrets and malformed stored values. */
#include <criterion/criterion.h>
#include <string.h>

#include "util/crypto.h"

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]) || s[i] == '\0')
            return false;
    return true;
}

static void check_uuid_format(const char *u)
{
    cr_assert_eq(strlen(u), 36, "uuid %s", u);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            cr_assert_eq(u[i], '-', "uuid %s", u);
        else
            cr_assert(is_lower_hex(u + i, 1), "uuid %s", u);
    }
    cr_assert_eq(u[14], '4', "version nibble in %s", u);
    cr_assert(strchr("89ab", u[19]) != NULL, "variant nibble in %s", u);
}

Test(crypto, test_uuid_v4_has_version_4_and_rfc_variant)
{
    for (int i = 0; i < 200; i++) {
        char u[37];
        cr_assert(uuid_v4(u));
        check_uuid_format(u);
    }
}

Test(crypto, test_uuid_v4_values_are_unique)
{
    enum { N = 500 };
    static char ids[N][37];
    for (int i = 0; i < N; i++)
        cr_assert(uuid_v4(ids[i]));
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            cr_assert_str_neq(ids[i], ids[j]);
}

Test(crypto, test_random_hex_is_2n_lowercase_hex_chars)
{
    char out[2 * 100 + 1];
    memset(out, 'x', sizeof out);
    cr_assert(random_hex(out, 100));
    cr_assert_eq(strlen(out), 200);
    cr_assert(is_lower_hex(out, 200));
    char empty[1] = {'x'};
    cr_assert(random_hex(empty, 0));
    cr_assert_eq(empty[0], '\0');
}

Test(crypto, test_hex_encode_known_bytes)
{
    const unsigned char in[] = {0x00, 0x01, 0xab, 0xff};
    char out[9];
    hex_encode(in, sizeof in, out);
    cr_assert_str_eq(out, "0001abff");
}

Test(crypto, test_secret_is_43_url_safe_base64_chars)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char prev[44] = "";
    for (int i = 0; i < 100; i++) {
        char s[44];
        cr_assert(secret_generate(s));
        cr_assert_eq(strlen(s), 43);
        cr_assert_eq(strspn(s, alphabet), 43, "secret %s", s);
        cr_assert_str_neq(s, prev);
        memcpy(prev, s, sizeof s);
    }
}

Test(crypto, test_secret_hash_format_and_round_trip)
{
    char secret[44], hash[SECRET_HASH_MAX];
    cr_assert(secret_generate(secret));
    cr_assert(secret_hash(secret, hash));
    cr_assert_eq(strlen(hash), 6 + 32 + 1 + 64, "hash %s", hash);
    cr_assert_eq(strncmp(hash, "hs256$", 6), 0);
    cr_assert(is_lower_hex(hash + 6, 32));
    cr_assert_eq(hash[38], '$');
    cr_assert(is_lower_hex(hash + 39, 64));
    cr_assert(secret_verify(secret, hash));
}

Test(crypto, test_same_secret_hashes_differently_each_time)
{
    char a[SECRET_HASH_MAX], b[SECRET_HASH_MAX];
    cr_assert(secret_hash("s3cret", a));
    cr_assert(secret_hash("s3cret", b));
    cr_assert_str_neq(a, b); /* fresh salt */
    cr_assert(secret_verify("s3cret", a));
    cr_assert(secret_verify("s3cret", b));
}

Test(crypto, test_wrong_secret_is_rejected)
{
    char hash[SECRET_HASH_MAX];
    cr_assert(secret_hash("correct horse", hash));
    cr_assert_not(secret_verify("correct hors", hash));
    cr_assert_not(secret_verify("correct horse ", hash));
    cr_assert_not(secret_verify("", hash));
    cr_assert_not(secret_verify(NULL, hash));
}

Test(crypto, test_malformed_stored_hash_is_rejected)
{
    char hash[SECRET_HASH_MAX];
    cr_assert(secret_hash("pw", hash));
    char bad[SECRET_HASH_MAX];

    cr_assert_not(secret_verify("pw", ""));
    cr_assert_not(secret_verify("pw", NULL));
    cr_assert_not(secret_verify("pw", "pw"));
    cr_assert_not(secret_verify("pw", "hs256$$"));

    memcpy(bad, hash, sizeof hash);
    memcpy(bad, "hs512$", 6); /* unknown scheme */
    cr_assert_not(secret_verify("pw", bad));

    memcpy(bad, hash, sizeof hash);
    bad[38] = 'x'; /* separator missing */
    cr_assert_not(secret_verify("pw", bad));

    memcpy(bad, hash, sizeof hash);
    bad[10] = 'g'; /* not hex in the salt */
    cr_assert_not(secret_verify("pw", bad));

    memcpy(bad, hash, sizeof hash);
    bad[strlen(bad) - 1] = '\0'; /* truncated */
    cr_assert_not(secret_verify("pw", bad));

    memcpy(bad, hash, sizeof hash);
    bad[50] = bad[50] == '0' ? '1' : '0'; /* one digit of the MAC changed */
    cr_assert_not(secret_verify("pw", bad));
}

Test(crypto, test_ct_equal_compares_content_and_length)
{
    cr_assert(ct_equal("abc", 3, "abc", 3));
    cr_assert_not(ct_equal("abc", 3, "abd", 3));
    cr_assert_not(ct_equal("abc", 3, "abcd", 4));
    cr_assert(ct_equal("", 0, "", 0));
    cr_assert(ct_equal("x", 0, "y", 0));
}

Test(crypto, test_random_bytes_fills_the_buffer)
{
    unsigned char a[64] = {0}, b[64] = {0};
    cr_assert(random_bytes(a, sizeof a));
    cr_assert(random_bytes(b, sizeof b));
    cr_assert_neq(memcmp(a, b, sizeof a), 0);
    cr_assert(random_bytes(a, 0));
}

Test(crypto, test_sha256_hex_matches_known_vectors)
{
    char out[66];
    memset(out, 'x', sizeof out);
    sha256_hex("", 0, out);
    cr_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, out);
    cr_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(two_blocks, strlen(two_blocks), out);
    cr_assert_str_eq(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    cr_assert_eq(out[65], 'x', "writes exactly 65 bytes");
}
