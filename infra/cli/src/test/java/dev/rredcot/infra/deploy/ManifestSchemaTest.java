package dev.rredcot.infra.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.testing.RepositoryFiles;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What {@code kubectl kustomize infra/deploy} renders is valid for the APIs it is applied to: every
 * rendered object is matched to the published schema of its API and kind ({@link
 * DeploymentSchemas}: Kubernetes core and apps, Strimzi, the Flink Kubernetes Operator, the
 * Prometheus Operator) and passes it, and the same check rejects a rendered object with a misspelt
 * field, a value of the wrong type or a missing required field. Needs {@code kubectl} (with its
 * built-in kustomize) on the PATH: fails without it in CI ({@code CI} set), is skipped with a
 * message elsewhere.
 */
class ManifestSchemaTest {
  /** The infra module is the tests' working directory. */
  private static final Path DEPLOY = RepositoryFiles.path("infra/deploy");

  private static List<JsonNode> rendered;
  private static DeploymentSchemas schemas;

  @BeforeAll
  static void renderAndLoadSchemas() throws IOException, InterruptedException {
    rendered = render(DEPLOY);
    schemas = DeploymentSchemas.load();
  }

  @Test
  void theRenderingHoldsEveryPartOfTheDeployment() {
    // Guards the tests below against passing on an empty or partial rendering.
    Set<String> kinds = new TreeSet<>();
    rendered.forEach(object -> kinds.add(key(object)));
    assertEquals(
        new TreeSet<>(
            List.of(
                "apps/v1 Deployment",
                "flink.apache.org/v1beta1 FlinkDeployment",
                "kafka.strimzi.io/v1 Kafka",
                "kafka.strimzi.io/v1 KafkaNodePool",
                "kafka.strimzi.io/v1 KafkaTopic",
                "kafka.strimzi.io/v1 KafkaUser",
                "monitoring.coreos.com/v1 PodMonitor",
                "monitoring.coreos.com/v1 PrometheusRule",
                "v1 ConfigMap",
                "v1 Namespace",
                "v1 PersistentVolumeClaim")),
        kinds,
        "the kinds kubectl kustomize renders; a new kind needs its schema in DeploymentSchemas");
    assertTrue(rendered.size() >= 20, rendered.size() + " objects rendered");
  }

  @Test
  void everyRenderedObjectHasTheSchemaOfItsKind() {
    List<String> unmatched = new ArrayList<>();
    for (JsonNode object : rendered) {
      if (schemas.source(apiVersion(object), kind(object)).isEmpty()) {
        unmatched.add(key(object) + " " + name(object));
      }
    }
    assertEquals(List.of(), unmatched, "rendered objects no schema covers");
  }

  @Test
  void everyRenderedObjectIsValidForItsSchema() {
    List<String> problems = new ArrayList<>();
    for (JsonNode object : rendered) {
      for (String error : schemas.errors(object)) {
        problems.add(
            key(object)
                + " "
                + name(object)
                + ": "
                + error
                + " (schema: "
                + schemas.source(apiVersion(object), kind(object)).orElseThrow()
                + ")");
      }
    }
    assertEquals("", String.join("\n", problems));
  }

  @Test
  void anObjectOfAKindWithoutASchemaIsRefusedNotPassed() {
    ObjectNode widget = new ObjectMapper().createObjectNode();
    widget.put("apiVersion", "example.com/v1").put("kind", "Widget");
    widget.putObject("metadata").put("name", "w");
    assertThrows(IllegalArgumentException.class, () -> schemas.errors(widget));
  }

  /**
   * Defects the validation must find, one or more per schema source: the rendered object of that
   * kind and name, changed by the mutation, must be rejected with an error naming {@code expected}.
   */
  static Stream<Arguments> defects() {
    return Stream.of(
        defect(
            "apps/v1 Deployment",
            "rredcot-trainer",
            "a misspelt container field",
            o -> container(o).put("livenesProbe", "x"),
            "livenesProbe"),
        defect(
            "apps/v1 Deployment",
            "rredcot-worker",
            "replicas as a word",
            o -> object(o, "/spec").put("replicas", "two"),
            "/spec/replicas"),
        defect(
            "apps/v1 Deployment",
            "rredcot-feeder",
            "a container without its required name",
            o -> container(o).remove("name"),
            "name"),
        defect(
            "v1 ConfigMap",
            "rredcot-config",
            "a data value that is not a string",
            o -> object(o, "/data").put("rredcot.yaml", 3),
            "/data/rredcot.yaml"),
        defect(
            "v1 PersistentVolumeClaim",
            "rredcot-data",
            "a misspelt spec field",
            o -> object(o, "/spec").put("storageClass", "fast"),
            "storageClass"),
        defect(
            "kafka.strimzi.io/v1 Kafka",
            "kafka",
            "a listener port as a string",
            o -> ((ObjectNode) o.at("/spec/kafka/listeners/0")).put("port", "9093"),
            "/spec/kafka/listeners/0/port"),
        defect(
            "kafka.strimzi.io/v1 KafkaNodePool",
            "dual-role",
            "a node pool without its required roles",
            o -> object(o, "/spec").remove("roles"),
            "roles"),
        defect(
            "kafka.strimzi.io/v1 KafkaTopic",
            "rollouts",
            "a misspelt topic field",
            o -> object(o, "/spec").put("partitons", 3),
            "partitons"),
        defect(
            "kafka.strimzi.io/v1 KafkaUser",
            "rredcot-worker",
            "labels that are not a map",
            o -> object(o, "/metadata").put("labels", "strimzi"),
            "/metadata/labels"),
        defect(
            "flink.apache.org/v1beta1 FlinkDeployment",
            "rredcot-credit",
            "parallelism as a word",
            o -> object(o, "/spec/job").put("parallelism", "two"),
            "/spec/job/parallelism"),
        defect(
            "flink.apache.org/v1beta1 FlinkDeployment",
            "rredcot-credit",
            "a misspelt resource field",
            o -> object(o, "/spec/jobManager/resource").put("memroy", "2g"),
            "memroy"),
        defect(
            "monitoring.coreos.com/v1 PodMonitor",
            "rredcot-services",
            "a misspelt endpoint field",
            o -> ((ObjectNode) o.at("/spec/podMetricsEndpoints/0")).put("portt", "metrics"),
            "portt"),
        defect(
            "monitoring.coreos.com/v1 PrometheusRule",
            "rredcot-alerts",
            "rule groups that are not a list",
            o -> object(o, "/spec").put("groups", "rredcot"),
            "/spec/groups"));
  }

  @ParameterizedTest(name = "{0} {1}: {2}")
  @MethodSource("defects")
  void aDefectIsRejected(
      String kind, String name, String defect, Consumer<ObjectNode> mutation, String expected) {
    ObjectNode object = renderedObject(kind, name).deepCopy();
    assertEquals(List.of(), schemas.errors(object), "valid before the change");
    mutation.accept(object);
    List<String> errors = schemas.errors(object);
    assertFalse(errors.isEmpty(), defect + " passed");
    assertTrue(
        errors.stream().anyMatch(error -> error.contains(expected)),
        "no error names " + expected + ": " + errors);
  }

  private static Arguments defect(
      String kind, String name, String defect, Consumer<ObjectNode> mutation, String expected) {
    return Arguments.of(kind, name, defect, mutation, expected);
  }

  private static ObjectNode renderedObject(String kind, String name) {
    return (ObjectNode)
        rendered.stream()
            .filter(object -> key(object).equals(kind) && name(object).equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("nothing rendered as " + kind + " " + name));
  }

  private static ObjectNode container(ObjectNode deployment) {
    return (ObjectNode) ((ArrayNode) deployment.at("/spec/template/spec/containers")).get(0);
  }

  private static ObjectNode object(ObjectNode root, String pointer) {
    JsonNode node = root.at(pointer);
    assertTrue(node.isObject(), pointer + " is not an object in " + name(root));
    return (ObjectNode) node;
  }

  /** The objects {@code kubectl kustomize} renders from a kustomization directory. */
  private static List<JsonNode> render(Path kustomization)
      throws IOException, InterruptedException {
    if (!onPath("kubectl")) {
      String message =
          "kubectl is not on the PATH: the deployment's schema test cannot render infra/deploy"
              + " (kubectl kustomize)";
      if (System.getenv("CI") != null) {
        fail(message);
      }
      assumeTrue(false, message + "; skipped outside CI");
    }
    Process process =
        new ProcessBuilder("kubectl", "kustomize", kustomization.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "kubectl kustomize hung");
    assertEquals(0, process.exitValue(), "kubectl kustomize " + kustomization + " failed");
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    ObjectMapper mapper = new ObjectMapper();
    List<JsonNode> objects = new ArrayList<>();
    for (Object document : new Yaml(new SafeConstructor(options)).loadAll(output)) {
      if (document != null) {
        objects.add(mapper.valueToTree(document));
      }
    }
    return objects;
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static String key(JsonNode object) {
    return apiVersion(object) + " " + kind(object);
  }

  private static String apiVersion(JsonNode object) {
    return object.path("apiVersion").asText();
  }

  private static String kind(JsonNode object) {
    return object.path("kind").asText();
  }

  private static String name(JsonNode object) {
    return object.path("metadata").path("name").asText();
  }
}
