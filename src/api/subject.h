/* subject.h — whose data a Connect endpoint works on, decided once for every area (README §2,
 * §5.1, §5.3). Most of the reference comes in families: "List X" (user mode, the token user's
 * customer) and "List X - client mode" (a {customerNumber} in the path, any customer of the
 * client's partner). A family has one generic handler that starts with subject_or_reply and
 * then does the same work for both modes. */
#ifndef CONNECTD_API_SUBJECT_H
#define CONNECTD_API_SUBJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"

/* The customer number the request is about:
 * - client mode: the {customerNumber} path parameter (400 ValidationException unless it is a
 *   positive integer; whether the partner has that customer is for the store to say);
 * - user mode: the customer linked to the token's user for the token client's partner. When
 *   there is none, a list endpoint (empty_list names its wrapper, e.g. "addresses") answers
 *   200 {"addresses":[]} and any other (empty_list NULL) 400 NotFoundException "No customer is
 *   linked to the user".
 * Returns false when it has answered. */
bool subject_or_reply(struct request *req, const char *empty_list, int64_t *customer);

/* Whether the request came with a user-mode token. */
bool subject_is_user(const struct request *req);

/* 400 NotFoundException for a customer the partner does not have (or that does not exist:
 * the two are never told apart). Returns false. */
bool reply_customer_not_found(struct request *req, int64_t customer);

/* 200 {"<wrapper>": []}. */
void reply_empty_list(struct request *req, const char *wrapper);

#endif
