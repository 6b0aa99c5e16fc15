/* customer_json.h — the Customer Data reply models as value trees (customer.md §1): Address,
 * the address list, Customer and its search view. Shared by the Customer Data handlers and by
 * the areas that embed these models (invoice address, orders ...). */
#ifndef CONNECTD_API_CUSTOMER_JSON_H
#define CONNECTD_API_CUSTOMER_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "store/customer.h"

/* Address (§1.1): id, addressType, the fields, period (not on home; a permanent change has no
 * endTime), products (temporary changes). */
json_t *address_json(const struct address *a);
/* {"addresses": [...]} (XML root addresses). */
json_t *address_list_json(const struct address_list *l);
/* Customer (§1.3). search_view: the #11 item (no address, categories, birthDate,
 * invoiceEmailAddress; the home address's main fields copied to the top level). */
json_t *customer_json(const struct customer *c, bool search_view);

#endif
