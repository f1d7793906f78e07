package dev.rredcot.infra.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Turns the {@code openAPIV3Schema} of a CustomResourceDefinition into a JSON Schema (draft
 * 2020-12) that accepts what the API server accepts with strict field validation (kubectl's
 * default): objects are closed unless {@code x-kubernetes-preserve-unknown-fields} keeps their
 * unknown fields, since the server rejects (or, without strict validation, silently prunes) a field
 * the schema does not declare; {@code x-kubernetes-int-or-string} becomes an integer or a string;
 * {@code nullable} admits null; OpenAPI 3.0's boolean {@code exclusiveMinimum}/{@code
 * exclusiveMaximum} become JSON Schema's numeric ones. The other {@code x-kubernetes-*} extensions
 * (list and map types, validation rules in CEL), {@code format} and documentation keywords are left
 * out: they do not change which documents the structure admits, or need the server.
 */
final class CrdSchemas {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** Keywords whose value is one schema. */
  private static final Set<String> SUBSCHEMA = Set.of("items", "not");

  /** Keywords whose value is a list of schemas. */
  private static final Set<String> SUBSCHEMA_LIST = Set.of("allOf", "anyOf", "oneOf");

  /** Keywords that only document, or that JSON Schema cannot check without the server. */
  private static final Set<String> DROPPED =
      Set.of("description", "example", "externalDocs", "default", "format", "nullable", "title");

  private CrdSchemas() {}

  /**
   * The JSON Schema of every served version of the CRDs in a YAML stream, keyed by {@code
   * "group/version Kind"}.
   */
  static Map<String, ObjectNode> read(InputStream yaml) {
    Map<String, ObjectNode> schemas = new LinkedHashMap<>();
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(16 * 1024 * 1024); // the Kafka CRD is about 330 kB
    for (Object document : new Yaml(new SafeConstructor(options)).loadAll(yaml)) {
      if (document == null) {
        continue;
      }
      JsonNode crd = new ObjectMapper().valueToTree(document);
      if (!"CustomResourceDefinition".equals(crd.path("kind").asText())) {
        throw new IllegalArgumentException("not a CRD: " + crd.path("kind"));
      }
      JsonNode spec = crd.path("spec");
      String kind = spec.path("names").path("kind").asText();
      for (JsonNode version : spec.path("versions")) {
        if (!version.path("served").asBoolean()) {
          continue;
        }
        JsonNode openApi = version.path("schema").path("openAPIV3Schema");
        if (!openApi.isObject()) {
          throw new IllegalArgumentException(kind + " " + version.path("name") + ": no schema");
        }
        String apiVersion = spec.path("group").asText() + "/" + version.path("name").asText();
        schemas.put(apiVersion + " " + kind, convert(openApi));
      }
    }
    return schemas;
  }

  /** Reads {@link #read(InputStream)} from a class-path resource. */
  static Map<String, ObjectNode> readResource(String resource) throws IOException {
    try (InputStream in = CrdSchemas.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no resource " + resource + " on the test class path");
      }
      return read(in);
    }
  }

  /** The JSON Schema for one OpenAPI v3 schema of a CRD. */
  static ObjectNode convert(JsonNode openApi) {
    ObjectNode out = JSON.objectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = openApi.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String keyword = field.getKey();
      JsonNode value = field.getValue();
      if (keyword.startsWith("x-kubernetes-") || DROPPED.contains(keyword)) {
        continue;
      }
      if (keyword.equals("properties")) {
        ObjectNode properties = out.putObject("properties");
        value.fields().forEachRemaining(p -> properties.set(p.getKey(), convert(p.getValue())));
      } else if (SUBSCHEMA.contains(keyword)
          || (keyword.equals("additionalProperties") && value.isObject())) {
        out.set(keyword, convert(value));
      } else if (SUBSCHEMA_LIST.contains(keyword)) {
        ArrayNode branches = out.putArray(keyword);
        value.forEach(branch -> branches.add(convert(branch)));
      } else if ((keyword.equals("exclusiveMinimum") || keyword.equals("exclusiveMaximum"))
          && value.isBoolean()) {
        continue; // folded into minimum/maximum below
      } else {
        out.set(keyword, value.deepCopy());
      }
    }
    exclusiveBound(openApi, out, "minimum", "exclusiveMinimum");
    exclusiveBound(openApi, out, "maximum", "exclusiveMaximum");
    if (openApi.path("x-kubernetes-int-or-string").asBoolean()) {
      out.remove("type");
      if (!out.has("anyOf")) {
        out.putArray("anyOf")
            .add(JSON.objectNode().put("type", "integer"))
            .add(JSON.objectNode().put("type", "string"));
      }
    }
    if (openApi.path("nullable").asBoolean() && out.path("type").isTextual()) {
      String type = out.get("type").asText();
      out.putArray("type").add(type).add("null");
    }
    boolean preservesUnknownFields =
        openApi.path("x-kubernetes-preserve-unknown-fields").asBoolean();
    boolean isObject = out.has("properties") || "object".equals(out.path("type").asText());
    if (isObject && !out.has("additionalProperties") && !preservesUnknownFields) {
      out.put("additionalProperties", false);
    }
    return out;
  }

  /** OpenAPI 3.0 marks a bound exclusive with a boolean; JSON Schema moves the bound itself. */
  private static void exclusiveBound(
      JsonNode openApi, ObjectNode out, String bound, String exclusive) {
    if (openApi.path(exclusive).asBoolean(false) && openApi.has(bound)) {
      out.set(exclusive, openApi.get(bound).deepCopy());
      out.remove(bound);
    }
  }
}
