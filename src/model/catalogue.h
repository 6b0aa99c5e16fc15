/* catalogue.h — the minimal product catalogue and subscription record (product.md §1.1,
 * §1.3) that Customer Data rules need (a temporary address change applies to the products a
 * customer subscribes to). The Product and Subscription areas grow these records; their field
 * tables validate import lines and bind columns in table order, as for the customer
 * (model/customer.h). */
#ifndef CONNECTD_MODEL_CATALOGUE_H
#define CONNECTD_MODEL_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/validate.h"

struct product {
    /* PRODUCT_FIELDS, in order */
    const char *company_code, *code, *description, *product_type;
    struct opt_int start_time, end_time;
    struct opt_num weight;
    const char *campaigns, *currency;
    struct opt_int web_offer_price, retail_price; /* cents */
    struct opt_num vat_percent;
    struct opt_bool digital, shop, series;
};

extern const struct field PRODUCT_FIELDS[];
extern const size_t PRODUCT_FIELD_COUNT;
#define PRODUCT_COLUMNS                                                                                        \
    "company_code, code, description, product_type, start_time, end_time, weight, campaigns, currency, "        \
    "web_offer_price, retail_price, vat_percent, digital, shop, series"

enum subscription_status {
    SUBSCRIPTION_FUTURE,
    SUBSCRIPTION_ACTIVE,
    SUBSCRIPTION_STOPPED,
};

struct subscription {
    int64_t id;
    /* SUBSCRIPTION_FIELDS, in order */
    struct opt_int customer_number;
    const char *company_code, *product;
    struct opt_int start_time, end_time, period_end, copies;
    const char *coupon_code;
    struct opt_int coupon_number;
    const char *customer_reference;
    struct opt_int payer_customer_number;
    const char *payment_method;
    struct opt_int product_delivery_plan_id;
    const char *distribution_level, *sales_person;
    struct opt_bool stopped;
};

extern const struct field SUBSCRIPTION_FIELDS[];
extern const size_t SUBSCRIPTION_FIELD_COUNT;
#define SUBSCRIPTION_COLUMNS                                                                                   \
    "customer_number, company_code, product_code, start_time, end_time, period_end, copies, coupon_code, "      \
    "coupon_number, customer_reference, payer_customer_number, payment_method, product_delivery_plan_id, "      \
    "distribution_level, sales_person, stopped"

/* §1.3 status rules at instant now. */
enum subscription_status subscription_status_at(const struct subscription *s, int64_t now);

#endif
