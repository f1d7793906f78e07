package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.testing.RepositoryFiles;
import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment's alert rules work as the runbook says: Prometheus's own {@code promtool test
 * rules} runs {@code src/test/resources/prometheus/alerts-test.yaml} against the PrometheusRule of
 * {@code deploy/kubernetes/monitoring.yaml}, and every alert has a case where it fires and one
 * where it stays silent; the dashboard's queries parse as PromQL. Skipped, with a message, where
 * {@code promtool} (Debian's {@code prometheus} package) is not installed.
 */
class PrometheusRulesTest {
  private static final Path MONITORING =
      RepositoryFiles.path("infra/deploy/kubernetes/monitoring.yaml");
  private static final Path DASHBOARD =
      RepositoryFiles.path("infra/deploy/grafana/rredcot-dashboard.json");
  private static final Path RULE_TESTS = Path.of("src/test/resources/prometheus/alerts-test.yaml");
  private static final Path RUNBOOK = RepositoryFiles.path("docs/OPERATIONS.md");

  @Test
  void everyAlertFiresOnItsCaseAndStaysSilentOnHealthySeries(@TempDir Path dir)
      throws IOException, InterruptedException {
    assumePromtool();
    Files.writeString(dir.resolve("rredcot-rules.yaml"), dump(Map.of("groups", ruleGroups())));
    Files.copy(RULE_TESTS, dir.resolve("alerts-test.yaml"));
    String output = promtool(dir, "test", "rules", "alerts-test.yaml");
    assertTrue(output.contains("SUCCESS"), output);
  }

  @Test
  void everyAlertHasAFiringAndASilentCase() throws IOException {
    Set<String> alerts = new TreeSet<>();
    for (Map<String, Object> group : ruleGroups()) {
      for (Object rule : list(group.get("rules"))) {
        Object alert = map(rule).get("alert");
        if (alert != null) {
          alerts.add(alert.toString());
        }
      }
    }
    assertTrue(alerts.size() >= 7, "alerts " + alerts);
    Set<String> firing = new HashSet<>();
    Set<String> silent = new HashSet<>();
    for (Object test : list(load(RULE_TESTS).get("tests"))) {
      for (Object check : list(map(test).get("alert_rule_test"))) {
        String alert = map(check).get("alertname").toString();
        (list(map(check).get("exp_alerts")).isEmpty() ? silent : firing).add(alert);
      }
    }
    assertEquals(alerts, new TreeSet<>(firing), "alerts with a case where they fire");
    assertEquals(alerts, new TreeSet<>(silent), "alerts with a case where they stay silent");
  }

  @Test
  void everyAlertLinksItsSectionOfTheRunbook() throws IOException {
    // GitHub's heading anchors: lower case, punctuation other than '-' dropped, spaces to '-'.
    Set<String> anchors = new HashSet<>();
    for (String line : Files.readAllLines(RUNBOOK)) {
      if (line.startsWith("#")) {
        String heading = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
        anchors.add(heading.replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
      }
    }
    int alerts = 0;
    for (Map<String, Object> group : ruleGroups()) {
      for (Object rule : list(group.get("rules"))) {
        Object alert = map(rule).get("alert");
        if (alert == null) {
          continue;
        }
        alerts++;
        Object runbook = map(map(rule).get("annotations")).get("runbook");
        assertTrue(
            runbook != null && runbook.toString().startsWith("docs/OPERATIONS.md#"),
            alert + " has no runbook link");
        String anchor = runbook.toString().substring(runbook.toString().indexOf('#') + 1);
        assertTrue(anchors.contains(anchor), alert + ": no runbook section #" + anchor);
        assertTrue(
            anchor.contains(alert.toString().toLowerCase(Locale.ROOT)),
            alert + " links #" + anchor);
      }
    }
    assertTrue(alerts > 0);
  }

  @Test
  void theRuleTestsFailWhenAnAlertIsBroken(@TempDir Path dir)
      throws IOException, InterruptedException {
    // The promtool run above can fail: the same tests against rules whose stale-checkpoint
    // threshold is out of reach report the missing alert.
    assumePromtool();
    String rules = dump(Map.of("groups", ruleGroups()));
    assertTrue(rules.contains("> 1800"), "the stale-checkpoint threshold moved; adjust this test");
    Files.writeString(dir.resolve("rredcot-rules.yaml"), rules.replace("> 1800", "> 180000"));
    Files.copy(RULE_TESTS, dir.resolve("alerts-test.yaml"));
    ProcessResult result = run(dir, "promtool", "test", "rules", "alerts-test.yaml");
    assertFalse(result.exitCode() == 0, result.output());
    assertTrue(result.output().contains("RredcotCheckpointStale"), result.output());
  }

  @Test
  void theDashboardQueriesAreValidPromQl(@TempDir Path dir)
      throws IOException, InterruptedException {
    assumePromtool();
    // promtool checks PromQL in rule files: each query becomes a recording rule of a scratch file.
    List<Map<String, Object>> rules = new ArrayList<>();
    for (String query : dashboardQueries()) {
      Map<String, Object> rule = new LinkedHashMap<>();
      rule.put("record", "dashboard:query_" + rules.size());
      rule.put("expr", query);
      rules.add(rule);
    }
    assertFalse(rules.isEmpty());
    Files.writeString(
        dir.resolve("dashboard.yaml"),
        dump(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules)))));
    String output = promtool(dir, "check", "rules", "dashboard.yaml");
    assertTrue(output.contains("SUCCESS: " + rules.size() + " rules found"), output);
  }

  /** The PromQL of every panel target of the Grafana dashboard. */
  static List<String> dashboardQueries() throws IOException {
    List<String> queries = new ArrayList<>();
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.get("targets")) {
        queries.add(target.get("expr").asText());
      }
    }
    return queries;
  }

  /** The groups of the deployment's PrometheusRule, as promtool reads them from a rule file. */
  static List<Map<String, Object>> ruleGroups() throws IOException {
    List<Map<String, Object>> groups = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(MONITORING, StandardCharsets.UTF_8)) {
      for (Object document : yaml().loadAll(reader)) {
        if (document != null && "PrometheusRule".equals(map(document).get("kind"))) {
          for (Object group : list(map(map(document).get("spec")).get("groups"))) {
            groups.add(map(group));
          }
        }
      }
    }
    assertFalse(groups.isEmpty(), "no PrometheusRule in " + MONITORING);
    return groups;
  }

  private static void assumePromtool() {
    assumeTrue(
        onPath("promtool"),
        "promtool is not installed: the alert rule tests are skipped (apt-get install prometheus)");
  }

  private static String promtool(Path dir, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    ProcessResult result = run(dir, command.toArray(String[]::new));
    assertEquals(0, result.exitCode(), result.output());
    return result.output();
  }

  private record ProcessResult(int exitCode, String output) {}

  private static ProcessResult run(Path dir, String... command)
      throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " hung");
    return new ProcessResult(process.exitValue(), output);
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static String dump(Object value) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(1000);
    return new Yaml(options).dump(value);
  }

  private static Map<String, Object> load(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return map(yaml().load(reader));
    }
  }

  private static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    return new Yaml(new SafeConstructor(options));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    assertTrue(value instanceof Map, "not a map: " + value);
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    if (value == null) {
      return List.of();
    }
    assertTrue(value instanceof List, "not a list: " + value);
    return (List<Object>) value;
  }
}
