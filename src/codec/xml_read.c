/* xml_read.c — XML request bodies into the value tree JSON bodies give (spec README §6.2).
 * libxml2 is the parser; this file is the fence around it. No DTD is ever processed: the
 * parser is stopped the moment it meets <!DOCTYPE, before any entity declaration is read,
 * so billion-laughs and external entities (XXE) never get a chance, and no network is used.
 * Each call has its own parser context; libxml2 keeps its error state per thread. */
#include "codec/xml.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/buf.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml(void)
{
    xmlInitParser();
}

/* The SAX hook for <!DOCTYPE ...>: remember it and halt the parse right there. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    if (ctxt->_private)
        *(bool *)ctxt->_private = true;
    xmlStopParser(ctxt);
}

/* ---- tree to value ------------------------------------------------------------------------ */

struct walk {
    int max_depth;
    bool failed; /* an entity reference or an allocation failure somewhere below */
};

static json_t *element_value(struct walk *w, const xmlNode *el, int depth);

static bool has_element_child(const xmlNode *el)
{
    for (const xmlNode *c = el->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* Adds value under name; a name seen before turns into an array of the values in order. */
static void add_member(json_t *obj, const char *name, json_t *value)
{
    json_t *prev = json_object_get(obj, name);
    if (prev == NULL) {
        json_object_set_new(obj, name, value);
    } else if (json_is_array(prev)) {
        json_array_append_new(prev, value); /* element values are never arrays themselves */
    } else {
        json_t *arr = json_array();
        json_array_append(arr, prev);
        json_array_append_new(arr, value);
        json_object_set_new(obj, name, arr); /* replaces in place: the key keeps its position */
    }
}

/* The element children of el as an object; other children (text in mixed content, comments,
 * processing instructions) are ignored. */
static json_t *children_object(struct walk *w, const xmlNode *el, int depth)
{
    json_t *obj = json_object();
    for (const xmlNode *c = el->children; c && !w->failed; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE)
            w->failed = true;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        json_t *v = element_value(w, c, depth + 1);
        if (v == NULL)
            break;
        add_member(obj, (const char *)c->name, v);
    }
    if (w->failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The text and CDATA of a text-only element, concatenated and untrimmed. */
static json_t *text_value(struct walk *w, const xmlNode *el)
{
    struct buf text = BUF_INIT;
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE)
            w->failed = true;
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            buf_puts(&text, (const char *)c->content);
    }
    json_t *v = w->failed ? NULL : json_stringn(text.data ? text.data : "", text.len);
    buf_free(&text);
    if (v == NULL)
        w->failed = true;
    return v;
}

static json_t *element_value(struct walk *w, const xmlNode *el, int depth)
{
    if (depth > w->max_depth) {
        w->failed = true;
        return NULL;
    }
    return has_element_child(el) ? children_object(w, el, depth) : text_value(w, el);
}

/* ---- parsing ---------------------------------------------------------------------------- */

static xmlDocPtr parse_doc(const char *data, size_t len)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL)
        return NULL;
    bool saw_doctype = false;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->_private = &saw_doctype;
    /* Deliberately absent: XML_PARSE_NOENT (substitutes entities), XML_PARSE_DTDLOAD,
     * XML_PARSE_DTDATTR, XML_PARSE_HUGE (lifts libxml2's own size and depth limits). */
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL, options);
    bool bad = saw_doctype || ctxt->errNo == XML_ERR_USER_STOP || !ctxt->wellFormed;
    xmlFreeParserCtxt(ctxt);
    if (doc != NULL && (bad || doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc))) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    return doc;
}

json_t *xml_parse(const char *data, size_t len, int max_depth)
{
    if (data == NULL || len == 0 || len > INT_MAX)
        return NULL;
    pthread_once(&init_once, init_libxml);
    xmlDocPtr doc = parse_doc(data, len);
    if (doc == NULL)
        return NULL;
    /* The root stands for the body itself (its name is ignored), so it is depth 0 and its
     * children object is depth 1, as the outermost {} of a JSON body is. */
    struct walk w = {max_depth, false};
    const xmlNode *root = xmlDocGetRootElement(doc);
    json_t *v = has_element_child(root) ? children_object(&w, root, 0) : json_object();
    xmlFreeDoc(doc);
    if (w.failed) {
        json_decref(v);
        return NULL;
    }
    return v;
}
