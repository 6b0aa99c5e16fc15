/* catalogue.c — the Product and Subscription field tables (see catalogue.h). */
#include "model/catalogue.h"

#include "model/customer.h"

static const char *const PRODUCT_TYPES[] = {"subscription", "single", "article", "issue", NULL};

#define P(m) offsetof(struct product, m)
const struct field PRODUCT_FIELDS[] = {
    {"companyCode", FIELD_STRING, FIELD_REQUIRED, 12, NULL, P(company_code)},
    {"product", FIELD_STRING, FIELD_REQUIRED, 12, NULL, P(code)},
    {"description", FIELD_STRING, FIELD_REQUIRED, 255, NULL, P(description)},
    {"productType", FIELD_STRING, FIELD_REQUIRED, 12, PRODUCT_TYPES, P(product_type)},
    {"startTime", FIELD_TIMESTAMP, 0, 0, NULL, P(start_time)},
    {"endTime", FIELD_TIMESTAMP, 0, 0, NULL, P(end_time)},
    {"weight", FIELD_NUMBER, 0, 0, NULL, P(weight)},
    {"campaigns", FIELD_STRING, 0, 255, NULL, P(campaigns)},
    {"currency", FIELD_STRING, 0, 3, NULL, P(currency)},
    {"webOfferPrice", FIELD_MONEY, 0, 0, NULL, P(web_offer_price)},
    {"retailPrice", FIELD_MONEY, 0, 0, NULL, P(retail_price)},
    {"vatPercent", FIELD_NUMBER, 0, 0, NULL, P(vat_percent)},
    {"digital", FIELD_BOOL, 0, 0, NULL, P(digital)},
    {"shop", FIELD_BOOL, 0, 0, NULL, P(shop)},
    {"series", FIELD_BOOL, 0, 0, NULL, P(series)},
};
const size_t PRODUCT_FIELD_COUNT = N_FIELDS(PRODUCT_FIELDS);
#undef P

#define S(m) offsetof(struct subscription, m)
const struct field SUBSCRIPTION_FIELDS[] = {
    {"customerNumber", FIELD_INT, FIELD_REQUIRED, 0, NULL, S(customer_number)},
    {"companyCode", FIELD_STRING, FIELD_REQUIRED, 12, NULL, S(company_code)},
    {"product", FIELD_STRING, FIELD_REQUIRED, 12, NULL, S(product)},
    {"startTime", FIELD_TIMESTAMP, FIELD_REQUIRED, 0, NULL, S(start_time)},
    {"endTime", FIELD_TIMESTAMP, 0, 0, NULL, S(end_time)},
    {"periodEnd", FIELD_TIMESTAMP, 0, 0, NULL, S(period_end)},
    {"copies", FIELD_INT, 0, 0, NULL, S(copies)},
    {"couponCode", FIELD_STRING, 0, 12, NULL, S(coupon_code)},
    {"couponNumber", FIELD_INT, 0, 0, NULL, S(coupon_number)},
    {"customerReference", FIELD_STRING, 0, 40, NULL, S(customer_reference)},
    {"payerCustomerNumber", FIELD_INT, 0, 0, NULL, S(payer_customer_number)},
    {"paymentMethod", FIELD_STRING, 0, 40, NULL, S(payment_method)},
    {"productDeliveryPlanId", FIELD_INT, 0, 0, NULL, S(product_delivery_plan_id)},
    {"distributionLevel", FIELD_STRING, 0, 12, NULL, S(distribution_level)},
    {"salesPerson", FIELD_STRING, 0, 40, NULL, S(sales_person)},
    {"stopped", FIELD_BOOL, 0, 0, NULL, S(stopped)},
};
const size_t SUBSCRIPTION_FIELD_COUNT = N_FIELDS(SUBSCRIPTION_FIELDS);
#undef S

enum subscription_status subscription_status_at(const struct subscription *s, int64_t now)
{
    if ((s->stopped.set && s->stopped.v) || (s->end_time.set && s->end_time.v <= now))
        return SUBSCRIPTION_STOPPED;
    return s->start_time.v > now ? SUBSCRIPTION_FUTURE : SUBSCRIPTION_ACTIVE;
}
