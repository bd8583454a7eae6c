#ifndef SWITCHBOARD_CLIBXML2_SHIM_H
#define SWITCHBOARD_CLIBXML2_SHIM_H

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
