/*
 * basic_schema.c - the tool schemas of a script that declares PARAMs.
 *
 * A tool's parameters become one JSON Schema object, wrapped in the shape
 * an MCP server lists (name, description, inputSchema) or the shape of an
 * OpenAI function.  PARAM types map through one table; a PARAM is required
 * unless OPTIONAL; LIKE gives "examples" and ENUM "enum".
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic_internal.h"

struct param_type {
	const char *name;   /* as written after AS, any case */
	const char *json;   /* JSON Schema type */
	const char *format; /* JSON Schema format, or NULL */
};

static const struct param_type param_types[] = {
	{"string", "string", NULL},
	{"text", "string", NULL},
	{"name", "string", NULL},
	{"integer", "integer", NULL},
	{"int", "integer", NULL},
	{"long", "integer", NULL},
	{"number", "number", NULL},
	{"float", "number", NULL},
	{"double", "number", NULL},
	{"decimal", "number", NULL},
	{"money", "number", NULL},
	{"currency", "number", NULL},
	{"boolean", "boolean", NULL},
	{"bool", "boolean", NULL},
	{"date", "string", "date"},
	{"datetime", "string", "date-time"},
	{"timestamp", "string", "date-time"},
	{"time", "string", "time"},
	{"email", "string", "email"},
	{"url", "string", "uri"},
	{"uri", "string", "uri"},
	{"uuid", "string", "uuid"},
	{"hostname", "string", "hostname"},
	{"ipv4", "string", "ipv4"},
	{"phone", "string", NULL},
	{"mobile", "string", NULL},
	{"qrcode", "string", NULL},
	{"zipcode", "string", NULL},
	{"file", "string", NULL},
	{"array", "array", NULL},
	{"list", "array", NULL},
	{"object", "object", NULL},
	{"json", "object", NULL},
};

static const struct param_type *find_type(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(param_types) / sizeof(param_types[0]);
	     i++)
		if (strlen(param_types[i].name) == len &&
		    strncasecmp(param_types[i].name, name, len) == 0)
			return &param_types[i];
	return NULL;
}

bool basic_type_known(const char *name, size_t len)
{
	return find_type(name, len) != NULL;
}

bool basic_is_tool(const struct basic_unit *unit)
{
	for (const struct basic_node *n = unit->root->child; n; n = n->next)
		if (n->kind == BASIC_PARAM)
			return true;
	return false;
}

/*
 * A number as written, with its sign: 52.52 stays 52.52 in the schema
 * rather than the nearest double printed in full.
 */
static json_object *number_json(const struct basic_node *n, bool negative)
{
	char text[64];
	size_t len = n->text_len < 62 ? n->text_len : 62;

	text[0] = '-';
	memcpy(text + 1, n->text, len);
	text[len + 1] = '\0';
	if (!strpbrk(text, ".eE"))
		return json_object_new_int64(
			strtoll(text + !negative, NULL, 10));
	return json_object_new_double_s(strtod(text + !negative, NULL),
					text + !negative);
}

/* A literal as JSON; NULL for anything else. */
static json_object *literal_json(const struct basic_node *n)
{
	switch (n->kind) {
	case BASIC_STRING:
	case BASIC_IDENTIFIER: /* LIKE fax, an unquoted example */
		return json_object_new_string_len(n->text, (int)n->text_len);
	case BASIC_NUMBER:
		return number_json(n, false);
	case BASIC_BOOLEAN:
		return json_object_new_boolean(n->text[0] == 't');
	case BASIC_UNARY:
		if (n->text[0] == '-' && n->child &&
		    n->child->kind == BASIC_NUMBER)
			return number_json(n->child, true);
		return NULL;
	default:
		return NULL;
	}
}

/*
 * An example or enum value for a parameter of JSON type json_type:
 * "3" for an integer is the number 3, as authors quote examples.
 */
static json_object *value_for(const struct basic_node *n, const char *json_type)
{
	bool numeric = strcmp(json_type, "integer") == 0 ||
		       strcmp(json_type, "number") == 0;
	char *end;

	if (numeric && n->kind == BASIC_STRING && n->text_len > 0 &&
	    n->text_len < 32) {
		char text[32];

		memcpy(text, n->text, n->text_len);
		text[n->text_len] = '\0';
		if (strcmp(json_type, "integer") == 0) {
			long long v = strtoll(text, &end, 10);

			if (*end == '\0')
				return json_object_new_int64(v);
		} else {
			double v = strtod(text, &end);

			if (*end == '\0')
				return json_object_new_double_s(v, text);
		}
	}
	return literal_json(n);
}

static json_object *enum_values(const struct basic_node *array,
				const char *json_type)
{
	json_object *values = json_object_new_array();

	if (array->kind != BASIC_ARRAY)
		return values;
	for (const struct basic_node *v = array->child; v; v = v->next) {
		json_object *j = value_for(v, json_type);

		if (j)
			json_object_array_add(values, j);
	}
	return values;
}

static void add_type(json_object *prop, const struct param_type *t)
{
	json_object_object_add(prop, "type",
			       json_object_new_string(t ? t->json : "string"));
	if (t && t->format)
		json_object_object_add(prop, "format",
				       json_object_new_string(t->format));
}

/*
 * The property of one PARAM, whose first child is its type; *optional
 * says whether it may be left out.
 */
static json_object *param_property(const struct basic_node *param,
				   bool *optional)
{
	const struct basic_node *type = param->child;
	const struct param_type *t = find_type(type->text, type->text_len);
	const char *json_type = t ? t->json : "string";
	json_object *prop = json_object_new_object(), *examples, *v;

	*optional = false;
	add_type(prop, t);
	for (const struct basic_node *c = type->next; c; c = c->next) {
		switch (c->kind) {
		case BASIC_DESCRIPTION:
			if ((v = literal_json(c->child)))
				json_object_object_add(prop, "description", v);
			break;
		case BASIC_PARAM_LIKE:
			if ((v = value_for(c->child, json_type))) {
				examples = json_object_new_array();
				json_object_array_add(examples, v);
				json_object_object_add(prop, "examples",
						       examples);
			}
			break;
		case BASIC_PARAM_ENUM:
			json_object_object_add(
				prop, "enum", enum_values(c->child, json_type));
			break;
		case BASIC_PARAM_OPTIONAL:
			*optional = true;
			break;
		default:
			break;
		}
	}
	return prop;
}

static json_object *input_schema(const struct basic_unit *unit)
{
	json_object *schema = json_object_new_object();
	json_object *props = json_object_new_object();
	json_object *required = json_object_new_array();

	for (const struct basic_node *n = unit->root->child; n; n = n->next) {
		char name[256];
		bool optional;
		size_t len = n->text_len < 255 ? n->text_len : 255;

		if (n->kind != BASIC_PARAM)
			continue;
		memcpy(name, n->text, len);
		name[len] = '\0';
		json_object_object_add(props, name,
				       param_property(n, &optional));
		if (!optional)
			json_object_array_add(required,
					      json_object_new_string(name));
	}
	json_object_object_add(schema, "type",
			       json_object_new_string("object"));
	json_object_object_add(schema, "properties", props);
	json_object_object_add(schema, "required", required);
	return schema;
}

/* The first top-level DESCRIPTION, "" when there is none. */
static json_object *tool_description(const struct basic_unit *unit)
{
	for (const struct basic_node *n = unit->root->child; n; n = n->next) {
		json_object *v;

		if (n->kind == BASIC_DESCRIPTION && n->child &&
		    (v = literal_json(n->child)))
			return v;
	}
	return json_object_new_string("");
}

char *basic_tool_schema(const struct basic_unit *unit, const char *tool_name,
			enum basic_schema_shape shape, bool pretty)
{
	json_object *tool, *outer;
	const char *text;
	char *copy;

	if (!basic_is_tool(unit))
		return NULL;
	tool = json_object_new_object();
	json_object_object_add(tool, "name", json_object_new_string(tool_name));
	json_object_object_add(tool, "description", tool_description(unit));
	json_object_object_add(
		tool, shape == BASIC_SCHEMA_MCP ? "inputSchema" : "parameters",
		input_schema(unit));
	outer = tool;
	if (shape == BASIC_SCHEMA_OPENAI) {
		outer = json_object_new_object();
		json_object_object_add(outer, "type",
				       json_object_new_string("function"));
		json_object_object_add(outer, "function", tool);
	}

	text = json_object_to_json_string_ext(
		outer,
		(pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			: JSON_C_TO_STRING_PLAIN) |
			JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = text ? strdup(text) : NULL;
	json_object_put(outer);
	return copy;
}
