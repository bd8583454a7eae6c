#ifndef SWITCHBOARD_CLIBXML2_SHIM_H
#define SWITCHBOARD_CLIBXML2_SHIM_H

/* Debian's libxml2 is built with ICU, and encoding.h then includes the system's ICU headers,
 * whose UErrorCode clashes with the copy of ICU inside Foundation. Nothing here uses the ICU
 * converter fields (only pointers to xmlCharEncodingHandler are passed around), so leave ICU out. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xpath.h>

/// Frees memory that libxml2 allocated (xmlFree is a function pointer variable, which Swift cannot call directly).
static inline void switchboard_xmlFree(void *pointer) {
    xmlFree(pointer);
}

#endif
