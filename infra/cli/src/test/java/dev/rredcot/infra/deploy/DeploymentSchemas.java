package dev.rredcot.infra.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PersistentVolumeClaim;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The schema of every API the deployment under {@code infra/deploy} uses, by {@code apiVersion} and
 * {@code kind}, each from a package of a registry the build reaches (docs/OPERATIONS.md,
 * "Deployment on Kubernetes", says which and why):
 *
 * <ul>
 *   <li>Kubernetes core and apps (1.32): the models of {@code
 *       io.kubernetes:client-java-api:24.0.0}, the Kubernetes project's Java client generated from
 *       the Kubernetes 1.32 OpenAPI document;
 *   <li>Strimzi 1.2.0 ({@code kafka.strimzi.io/v1}): the CRDs Strimzi's own generator makes from
 *       {@code io.strimzi:api:1.2.0}, kept under {@code src/test/resources/kubernetes-schemas};
 *   <li>Flink Kubernetes Operator 1.10.0 ({@code flink.apache.org}): the CRD inside {@code
 *       org.apache.flink:flink-kubernetes-operator-api:1.10.0};
 *   <li>Prometheus Operator ({@code monitoring.coreos.com/v1}): the models of {@code
 *       io.fabric8:openshift-model-monitoring:8.0.0}, generated from the operator's CRDs.
 * </ul>
 *
 * Every kind's {@code metadata} is checked against Kubernetes' ObjectMeta.
 */
final class DeploymentSchemas {
  private static final String STRIMZI = "/kubernetes-schemas/strimzi-1.2.0/";
  private static final String FLINK_CRD =
      "/META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";

  private static final Map<String, Class<?>> KUBERNETES_MODELS =
      Map.of(
          "v1 Namespace", V1Namespace.class,
          "v1 ConfigMap", V1ConfigMap.class,
          "v1 Secret", V1Secret.class,
          "v1 Service", V1Service.class,
          "v1 ServiceAccount", V1ServiceAccount.class,
          "v1 PersistentVolumeClaim", V1PersistentVolumeClaim.class,
          "apps/v1 Deployment", V1Deployment.class,
          "apps/v1 StatefulSet", V1StatefulSet.class);

  private static final Map<String, Class<?>> PROMETHEUS_OPERATOR_MODELS =
      Map.of(
          "monitoring.coreos.com/v1 PodMonitor", PodMonitor.class,
          "monitoring.coreos.com/v1 ServiceMonitor", ServiceMonitor.class,
          "monitoring.coreos.com/v1 PrometheusRule", PrometheusRule.class);

  private final Map<String, ObjectNode> documents;
  private final Map<String, String> sources;
  private final Map<String, Schema> compiled = new HashMap<>();
  private final SchemaRegistry registry =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private DeploymentSchemas(Map<String, ObjectNode> documents, Map<String, String> sources) {
    this.documents = documents;
    this.sources = sources;
  }

  /** Builds every schema (a few seconds: the Strimzi and Flink CRDs are large). */
  static DeploymentSchemas load() throws IOException {
    Map<String, ObjectNode> documents = new LinkedHashMap<>();
    Map<String, String> sources = new LinkedHashMap<>();
    KUBERNETES_MODELS.forEach(
        (kind, model) -> {
          documents.put(kind, ModelSchemas.schemaOf(model));
          sources.put(
              kind, artifact(model, "io.kubernetes", "client-java-api") + " " + model.getName());
        });
    PROMETHEUS_OPERATOR_MODELS.forEach(
        (kind, model) -> {
          documents.put(kind, ModelSchemas.schemaOf(model, ObjectMeta.class, V1ObjectMeta.class));
          sources.put(
              kind,
              artifact(model, "io.fabric8", "openshift-model-monitoring") + " " + model.getName());
        });
    for (String file :
        List.of(
            "040-Crd-kafka.yaml",
            "043-Crd-kafkatopic.yaml",
            "044-Crd-kafkauser.yaml",
            "045-Crd-kafkanodepool.yaml")) {
      addCrds(documents, sources, STRIMZI + file, "Strimzi 1.2.0 CRD " + file);
    }
    addCrds(
        documents,
        sources,
        FLINK_CRD,
        artifact(DeploymentSchemas.class, "org.apache.flink", "flink-kubernetes-operator-api")
            + " "
            + FLINK_CRD);
    return new DeploymentSchemas(documents, sources);
  }

  private static void addCrds(
      Map<String, ObjectNode> documents,
      Map<String, String> sources,
      String resource,
      String source)
      throws IOException {
    for (Map.Entry<String, ObjectNode> crd : CrdSchemas.readResource(resource).entrySet()) {
      ObjectNode schema = crd.getValue();
      ObjectNode properties =
          schema.has("properties")
              ? (ObjectNode) schema.get("properties")
              : schema.putObject("properties");
      // The API server adds these three to every CRD's schema; some CRDs leave them out.
      properties.putObject("apiVersion").put("type", "string");
      properties.putObject("kind").put("type", "string");
      properties.putObject("metadata").put("$ref", ModelSchemas.embed(schema, V1ObjectMeta.class));
      documents.put(crd.getKey(), schema);
      sources.put(crd.getKey(), source);
    }
  }

  /** {@code group:artifact:version} of a jar on the test class path, from its Maven metadata. */
  private static String artifact(Class<?> loader, String group, String artifact) {
    String resource = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no " + resource + " on the test class path");
      }
      Properties properties = new Properties();
      properties.load(in);
      return group + ":" + artifact + ":" + properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where the schema of a kind comes from, if the deployment's schemas cover it. */
  Optional<String> source(String apiVersion, String kind) {
    return Optional.ofNullable(sources.get(apiVersion + " " + kind));
  }

  /**
   * What the schema of its kind finds wrong with a Kubernetes object (empty: valid).
   *
   * @throws IllegalArgumentException when no schema covers the object's kind
   */
  List<String> errors(JsonNode object) {
    String key = object.path("apiVersion").asText() + " " + object.path("kind").asText();
    ObjectNode document = documents.get(key);
    if (document == null) {
      throw new IllegalArgumentException("no schema for " + key);
    }
    Schema schema = compiled.computeIfAbsent(key, k -> registry.getSchema(document));
    return schema.validate(object).stream().map(Error::toString).toList();
  }
}
