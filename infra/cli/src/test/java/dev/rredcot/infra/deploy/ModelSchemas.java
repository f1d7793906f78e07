package dev.rredcot.infra.deploy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * JSON Schemas (draft 2020-12) read off Java models that a project generates from its published
 * OpenAPI schema, where no registry serves the schema document itself: the Kubernetes Java client
 * ({@code io.kubernetes.client.openapi.models}, generated from the Kubernetes OpenAPI document; its
 * classes list each type's properties and required properties in {@code openapiFields} and {@code
 * openapiRequiredFields}) and fabric8's models (properties named by {@code @JsonProperty}; no
 * required properties). Objects are closed, as the API server's strict field validation treats
 * them; {@code IntOrString} is an integer or a string and {@code Quantity} a string or a number, as
 * on the wire.
 *
 * <p>Each call of {@link #schemaOf(Class)} returns a self-contained schema: the class's definition
 * and every definition it reaches, under {@code $defs}.
 */
final class ModelSchemas {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Map<Class<?>, String> names = new HashMap<>();
  private final ObjectNode definitions = JSON.objectNode();

  private ModelSchemas() {}

  /** The schema of a model class, with its definitions. */
  static ObjectNode schemaOf(Class<?> model) {
    ModelSchemas schemas = new ModelSchemas();
    ObjectNode root = JSON.objectNode();
    root.set("$ref", JSON.textNode(schemas.reference(model)));
    root.set("$defs", schemas.definitions);
    return root;
  }

  /**
   * The schema of a model class in which every occurrence of one model class is read as another:
   * fabric8's ObjectMeta as the Kubernetes client's, so every kind's metadata is checked against
   * the same definition, Kubernetes' own.
   */
  static ObjectNode schemaOf(Class<?> model, Class<?> replaced, Class<?> replacement) {
    ModelSchemas schemas = new ModelSchemas();
    schemas.names.put(replaced, replacement.getName());
    schemas.reference(replacement);
    ObjectNode root = JSON.objectNode();
    root.set("$ref", JSON.textNode(schemas.reference(model)));
    root.set("$defs", schemas.definitions);
    return root;
  }

  /**
   * Puts the definitions a model class reaches under {@code $defs} of {@code schema} and returns
   * the reference to the class's definition: for a CRD's schema, whose metadata is a model's.
   */
  static String embed(ObjectNode schema, Class<?> model) {
    ModelSchemas schemas = new ModelSchemas();
    String reference = schemas.reference(model);
    schema.set("$defs", schemas.definitions);
    return reference;
  }

  private String reference(Class<?> model) {
    String name = names.get(model);
    if (name == null) {
      name = model.getName();
      names.put(model, name);
      ObjectNode definition = JSON.objectNode();
      definitions.set(name, definition); // before the properties: a type may refer to itself
      define(model, definition);
    }
    return "#/$defs/" + name;
  }

  private void define(Class<?> model, ObjectNode definition) {
    definition.put("type", "object");
    ObjectNode properties = definition.putObject("properties");
    if (isKubernetesClientModel(model)) {
      Map<String, Field> fields = new HashMap<>();
      for (Field field : model.getDeclaredFields()) {
        if (!Modifier.isStatic(field.getModifiers())) {
          fields.put(normalized(field.getName()), field);
        }
      }
      for (String property : new TreeSet<>(staticSet(model, "openapiFields"))) {
        Field field = fields.get(normalized(property));
        if (field == null) {
          throw new IllegalStateException(model.getName() + " has no field for " + property);
        }
        properties.set(property, schemaOf(field.getGenericType(), model));
      }
      Set<String> required = new TreeSet<>(staticSet(model, "openapiRequiredFields"));
      if (!required.isEmpty()) {
        ArrayNode list = definition.putArray("required");
        required.forEach(list::add);
      }
    } else {
      for (Class<?> type = model; type != Object.class; type = type.getSuperclass()) {
        for (Field field : type.getDeclaredFields()) {
          JsonProperty property = field.getAnnotation(JsonProperty.class);
          if (property != null && !Modifier.isStatic(field.getModifiers())) {
            String name = property.value().isEmpty() ? field.getName() : property.value();
            properties.set(name, schemaOf(field.getGenericType(), model));
          }
        }
      }
      if (properties.isEmpty()) {
        throw new IllegalStateException(model.getName() + " declares no @JsonProperty field");
      }
    }
    definition.put("additionalProperties", false);
  }

  private JsonNode schemaOf(Type type, Class<?> owner) {
    if (type instanceof ParameterizedType parameterized) {
      Class<?> raw = (Class<?>) parameterized.getRawType();
      Type[] arguments = parameterized.getActualTypeArguments();
      if (Collection.class.isAssignableFrom(raw)) {
        return JSON.objectNode().put("type", "array").set("items", schemaOf(arguments[0], owner));
      }
      if (Map.class.isAssignableFrom(raw)) {
        return JSON.objectNode()
            .put("type", "object")
            .set("additionalProperties", schemaOf(arguments[1], owner));
      }
      throw new IllegalStateException(owner.getName() + ": no schema for " + type);
    }
    if (!(type instanceof Class<?> raw)) {
      throw new IllegalStateException(owner.getName() + ": no schema for " + type);
    }
    if (raw == String.class || raw.isEnum() || raw == byte[].class) {
      return JSON.objectNode().put("type", "string");
    }
    if (raw == OffsetDateTime.class) {
      return JSON.objectNode().put("type", "string");
    }
    if (raw == Boolean.class || raw == boolean.class) {
      return JSON.objectNode().put("type", "boolean");
    }
    if (raw == Integer.class
        || raw == int.class
        || raw == Long.class
        || raw == long.class
        || raw == BigInteger.class) {
      return JSON.objectNode().put("type", "integer");
    }
    if (raw == Double.class
        || raw == double.class
        || raw == Float.class
        || raw == BigDecimal.class) {
      return JSON.objectNode().put("type", "number");
    }
    if (raw == Object.class) {
      return JSON.objectNode(); // free-form JSON (RawExtension and the like)
    }
    switch (raw.getSimpleName()) {
      case "IntOrString":
        return anyOf("integer", "string");
      case "Quantity":
        return anyOf("string", "number");
      default:
        break;
    }
    if (isKubernetesClientModel(raw) || hasJsonProperties(raw)) {
      return JSON.objectNode().put("$ref", reference(raw));
    }
    throw new IllegalStateException(owner.getName() + ": no schema for " + raw.getName());
  }

  private static ObjectNode anyOf(String first, String second) {
    ObjectNode schema = JSON.objectNode();
    schema
        .putArray("anyOf")
        .add(JSON.objectNode().put("type", first))
        .add(JSON.objectNode().put("type", second));
    return schema;
  }

  private static boolean isKubernetesClientModel(Class<?> type) {
    try {
      return Modifier.isStatic(type.getField("openapiFields").getModifiers());
    } catch (NoSuchFieldException e) {
      return false;
    }
  }

  private static boolean hasJsonProperties(Class<?> type) {
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (field.isAnnotationPresent(JsonProperty.class)) {
          return true;
        }
      }
    }
    return false;
  }

  @SuppressWarnings("unchecked")
  private static Set<String> staticSet(Class<?> model, String name) {
    try {
      return (Set<String>) model.getField(name).get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(model.getName() + "." + name, e);
    }
  }

  /**
   * Java field names drop what an identifier cannot hold ("$ref", "x-kubernetes-...", "_continue").
   */
  private static String normalized(String name) {
    return name.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
  }
}
