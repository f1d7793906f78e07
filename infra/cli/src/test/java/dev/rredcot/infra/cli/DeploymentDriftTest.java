package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rredcot.infra.config.ConfigDefaults;
import dev.rredcot.infra.config.ConfigFile;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.model.metrics.MetricNames;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.pipelines.BeamFlags;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.metrics.StageMetrics;
import dev.rredcot.schemas.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The deployment files under {@code infra/deploy} cannot drift from the code: every manifest
 * parses; every {@code rredcot} command line in them names real commands, options and Beam options;
 * the configuration file they mount is valid for the CLI; topic names are the schemas' {@link
 * Topics}; ports, volumes, secrets and paths refer to what is declared; the Kafka users are the
 * roles of {@link ClientRole} with exactly their ACLs, and each pod logs in as its command's role;
 * the Flink job's entry class, JVM flags and Flink version are the project's; the services' metrics
 * port listens on the pod's address; every query of the alert rules and the Grafana dashboard names
 * metrics the code (or Flink) emits.
 */
class DeploymentDriftTest {
  /** The infra module is the tests' working directory. */
  private static final Path DEPLOY = RepositoryFiles.path("infra/deploy");

  private static final Path REPOSITORY = RepositoryFiles.root();

  /** Environment variables the launcher script reads (checked against its text). */
  private static final Pattern LAUNCHER_VARIABLE = Pattern.compile("\\$\\{?(RREDCOT_[A-Z_]+)");

  private static Map<Path, List<Map<String, Object>>> manifests;
  private static Map<String, Object> kustomization;

  @BeforeAll
  static void loadManifests() throws IOException {
    manifests = new HashMap<>();
    try (Stream<Path> files = Files.walk(DEPLOY)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        if (file.getFileName().toString().equals("rredcot.example.yaml")) {
          continue; // the CLI's configuration, not a manifest: checked by ConfigFile below
        }
        if (file.startsWith(DEPLOY.resolve("kustomizeconfig"))) {
          continue; // kustomize's own field specs, not manifests
        }
        List<Map<String, Object>> documents = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          for (Object document : yaml().loadAll(reader)) {
            if (document != null) {
              assertTrue(document instanceof Map, file + ": a document is not a map");
              documents.add(map(document));
            }
          }
        }
        manifests.put(file, documents);
      }
    }
    kustomization = manifests.get(DEPLOY.resolve("kustomization.yaml")).get(0);
  }

  @Test
  void everyManifestIsAKubernetesResourceListedInTheKustomization() throws IOException {
    Set<Path> listed = new TreeSet<>();
    for (Object resource : list(kustomization.get("resources"))) {
      Path file = DEPLOY.resolve(resource.toString());
      assertTrue(Files.isRegularFile(file), "kustomization lists a missing file " + file);
      listed.add(file);
    }
    for (Map.Entry<Path, List<Map<String, Object>>> manifest : manifests.entrySet()) {
      if (manifest.getKey().getFileName().toString().equals("kustomization.yaml")) {
        continue;
      }
      assertTrue(
          listed.contains(manifest.getKey()), manifest.getKey() + " is not in the kustomization");
      for (Map<String, Object> resource : manifest.getValue()) {
        assertNotNull(resource.get("apiVersion"), manifest.getKey() + ": no apiVersion");
        assertNotNull(resource.get("kind"), manifest.getKey() + ": no kind");
        assertNotNull(map(resource.get("metadata")).get("name"), manifest.getKey() + ": no name");
      }
    }
  }

  @Test
  void theMountedConfigurationIsValidForTheCli() {
    Path config = configMapFile("rredcot.yaml");
    CommandSpec root = cliSpec();
    ConfigFile file = ConfigFile.load(config);
    file.validate(root);
    // Every Kafka client property file it names is one the ConfigMap carries, where it is mounted.
    String kafkaConfig = file.value(List.of("pipeline"), "kafka-config").orElseThrow();
    assertEquals(CONFIG_MOUNT + "/client.properties", kafkaConfig);
    assertTrue(Files.isRegularFile(configMapFile("client.properties")));
  }

  @Test
  void everyRredcotCommandLineNamesRealCommandsAndOptions() {
    List<List<String>> lines = new ArrayList<>();
    for (Map<String, Object> container : rredcotContainers()) {
      lines.add(strings(container.get("args")));
    }
    Map<String, Object> job = map(spec(only("FlinkDeployment")).get("job"));
    lines.add(strings(job.get("args")));
    assertEquals(4, lines.size(), "trainer, worker, feeder and the credit job");
    Set<String> commands = new TreeSet<>();
    for (List<String> line : lines) {
      commands.add(checkCommandLine(line));
    }
    assertEquals(Set.of("feeder", "pipeline", "trainer", "worker"), commands);
  }

  @Test
  void environmentVariablesAreOnesTheProjectReads() throws IOException {
    String launcher = Files.readString(REPOSITORY.resolve("rredcot"));
    Set<String> known = new HashSet<>();
    Matcher matcher = LAUNCHER_VARIABLE.matcher(launcher);
    while (matcher.find()) {
      known.add(matcher.group(1));
    }
    known.add(RredcotHome.ENVIRONMENT_VARIABLE);
    known.add(ConfigDefaults.ENVIRONMENT_VARIABLE);
    known.add(KafkaClientConfig.ENVIRONMENT_VARIABLE);
    List<Map<String, Object>> containers = new ArrayList<>(rredcotContainers());
    containers.add(flinkMainContainer());
    for (Map<String, Object> container : containers) {
      for (Object entry : list(container.get("env"))) {
        String name = map(entry).get("name").toString();
        if (name.startsWith("RREDCOT_")) {
          assertTrue(known.contains(name), name + " is read by nothing");
        }
        if (name.equals(ConfigDefaults.ENVIRONMENT_VARIABLE)) {
          assertEquals(CONFIG_MOUNT + "/rredcot.yaml", map(entry).get("value"));
          assertTrue(mountPaths(container).containsKey(CONFIG_MOUNT), "config not mounted");
        }
      }
    }
    // The variables the image sets are read too.
    for (String line : Files.readAllLines(DEPLOY.resolve("Containerfile"))) {
      Matcher env = Pattern.compile("(RREDCOT_[A-Z_]+)=").matcher(line);
      while (env.find()) {
        assertTrue(known.contains(env.group(1)), "Containerfile sets " + env.group(1));
      }
    }
  }

  @Test
  void volumesSecretsAndClientPathsReferToWhatIsDeclared() throws IOException {
    Set<String> claims = names("PersistentVolumeClaim");
    String kafkaCluster = name(only("Kafka"));
    Set<String> secrets = new HashSet<>(names("KafkaUser"));
    secrets.add(kafkaCluster + "-cluster-ca-cert"); // Strimzi's cluster CA Secret
    secrets.add(SIGNING_KEY_SECRET); // created by the operator (documented, checked below)
    String configMap =
        map(list(kustomization.get("configMapGenerator")).get(0)).get("name").toString();
    Properties client = new Properties();
    try (Reader reader = Files.newBufferedReader(configMapFile("client.properties"))) {
      client.load(reader);
    }
    List<String> clientPaths = new ArrayList<>();
    for (Object value : client.values()) {
      Matcher path = Pattern.compile("(/etc/[^:}\\s]+)").matcher(value.toString());
      while (path.find()) {
        clientPaths.add(path.group(1));
      }
    }
    assertFalse(clientPaths.isEmpty());
    List<Map<String, Object>> pods = new ArrayList<>();
    for (Map<String, Object> deployment : resources("Deployment")) {
      pods.add(map(map(spec(deployment).get("template")).get("spec")));
    }
    pods.add(map(map(spec(only("FlinkDeployment")).get("podTemplate")).get("spec")));
    for (Map<String, Object> pod : pods) {
      Map<String, Map<String, Object>> volumes = new HashMap<>();
      for (Object volume : list(pod.get("volumes"))) {
        volumes.put(map(volume).get("name").toString(), map(volume));
      }
      for (Map<String, Object> volume : volumes.values()) {
        if (volume.containsKey("persistentVolumeClaim")) {
          assertTrue(claims.contains(map(volume.get("persistentVolumeClaim")).get("claimName")));
        } else if (volume.containsKey("secret")) {
          assertTrue(secrets.contains(map(volume.get("secret")).get("secretName")), "" + volume);
        } else if (volume.containsKey("configMap")) {
          Object name = map(volume.get("configMap")).get("name");
          assertTrue(configMap.equals(name) || TRUSTED_KEYS_CONFIG_MAP.equals(name), "" + name);
        }
      }
      for (Object container : list(pod.get("containers"))) {
        Map<String, String> mounts = mountPaths(map(container));
        mounts.values().forEach(volume -> assertTrue(volumes.containsKey(volume), volume));
        // Every path of the Kafka client properties lies in a volume this container mounts.
        for (String path : clientPaths) {
          assertTrue(
              mounts.keySet().stream()
                  .anyMatch(mount -> path.equals(mount) || path.startsWith(mount + "/")),
              path + " is not mounted in " + map(container).get("name"));
        }
      }
    }
  }

  @Test
  void theKafkaUsersAreTheRolesWithExactlyTheirAclsAndEachPodLogsInAsItsRole() throws IOException {
    // The cluster authorizes, and only the admin is a super user.
    Map<String, Object> authorization =
        map(map(spec(only("Kafka")).get("kafka")).get("authorization"));
    assertEquals("simple", authorization.get("type"));
    assertEquals(List.of(ClientRole.ADMIN.userName()), authorization.get("superUsers"));

    // One KafkaUser per role, with the role's permissions and nothing else.
    Map<String, ClientRole> roleOfUser = new HashMap<>();
    for (ClientRole role : ClientRole.values()) {
      roleOfUser.put(role.userName(), role);
    }
    assertEquals(roleOfUser.keySet(), names("KafkaUser"));
    for (Map<String, Object> user : resources("KafkaUser")) {
      ClientRole role = roleOfUser.get(name(user));
      assertEquals("scram-sha-512", map(spec(user).get("authentication")).get("type"), name(user));
      Set<ClientRole.Permission> granted = new HashSet<>();
      Object userAuthorization = spec(user).get("authorization");
      if (userAuthorization != null) {
        assertEquals("simple", map(userAuthorization).get("type"), name(user));
        for (Object entry : list(map(userAuthorization).get("acls"))) {
          Map<String, Object> resource = map(map(entry).get("resource"));
          assertEquals("literal", resource.get("patternType"), name(user) + " " + resource);
          assertEquals("*", map(entry).getOrDefault("host", "*"), name(user));
          assertFalse("deny".equals(map(entry).get("type")), name(user) + " has a deny rule");
          for (String operation : strings(map(entry).get("operations"))) {
            granted.add(
                new ClientRole.Permission(
                    // Strimzi spells Kafka's TRANSACTIONAL_ID "transactionalId".
                    ResourceType.fromString(
                        resource.get("type").toString().replaceAll("([a-z])([A-Z])", "$1_$2")),
                    resource.get("name").toString(),
                    AclOperation.fromString(operation)));
          }
        }
      }
      assertEquals(Set.copyOf(role.permissions()), granted, name(user));
    }

    // Each pod mounts, where client.properties reads the login, the Secret of its command's role.
    Properties client = new Properties();
    try (Reader reader = Files.newBufferedReader(configMapFile("client.properties"))) {
      client.load(reader);
    }
    Matcher login =
        Pattern.compile("\\$\\{dir:([^:}]+):sasl.jaas.config}")
            .matcher(client.getProperty("sasl.jaas.config"));
    assertTrue(login.matches(), client.getProperty("sasl.jaas.config"));
    String loginDir = login.group(1);
    Map<String, ClientRole> roleOfCommand = new HashMap<>();
    for (Map.Entry<String, CommandLine> command : cliCommandLine().getSubcommands().entrySet()) {
      for (Object mixin : command.getValue().getMixins().values()) {
        if (mixin instanceof BootstrapOption option) {
          roleOfCommand.put(command.getKey(), option.role());
        }
      }
    }
    List<Map<String, Object>> pods = new ArrayList<>();
    List<String> commands = new ArrayList<>();
    for (Map<String, Object> deployment : resources("Deployment")) {
      Map<String, Object> pod = map(map(spec(deployment).get("template")).get("spec"));
      pods.add(pod);
      commands.add(strings(map(list(pod.get("containers")).get(0)).get("args")).get(0));
    }
    pods.add(map(map(spec(only("FlinkDeployment")).get("podTemplate")).get("spec")));
    commands.add(strings(map(spec(only("FlinkDeployment")).get("job")).get("args")).get(0));
    Set<ClientRole> deployed = new HashSet<>();
    for (int i = 0; i < pods.size(); i++) {
      ClientRole role = roleOfCommand.get(commands.get(i));
      assertNotNull(role, commands.get(i) + " is not a command with Kafka clients");
      deployed.add(role);
      Map<String, String> secretOfVolume = new HashMap<>();
      for (Object volume : list(pods.get(i).get("volumes"))) {
        if (map(volume).containsKey("secret")) {
          secretOfVolume.put(
              map(volume).get("name").toString(),
              map(map(volume).get("secret")).get("secretName").toString());
        }
      }
      for (Object container : list(pods.get(i).get("containers"))) {
        String volume = mountPaths(map(container)).get(loginDir);
        assertNotNull(volume, commands.get(i) + ": nothing mounted at " + loginDir);
        assertEquals(role.userName(), secretOfVolume.get(volume), commands.get(i));
      }
    }
    assertEquals(
        Set.of(ClientRole.FEEDER, ClientRole.WORKER, ClientRole.CREDIT, ClientRole.TRAINER),
        deployed);
  }

  @Test
  void theSigningKeyIsInTheTrainersPodOnlyAndEveryReaderTrustsItsPublicHalf() throws IOException {
    ConfigFile config = ConfigFile.load(configMapFile("rredcot.yaml"));
    String signingKey = config.value(List.of("trainer"), "signing-key").orElseThrow();
    Map<String, String> trustedKeys =
        Map.of(
            "rredcot-trainer",
            config.value(List.of("trainer"), "trusted-keys").orElseThrow(),
            "rredcot-worker",
            config.value(List.of("worker"), "trusted-keys").orElseThrow(),
            "credit-job",
            config
                .beamOptions(List.of("pipeline"), ConfigFile.configurableOptions(pipelineSpec()))
                .get("trustedKeys"));
    Map<String, Map<String, Object>> pods = new HashMap<>();
    for (Map<String, Object> deployment : resources("Deployment")) {
      pods.put(name(deployment), map(map(spec(deployment).get("template")).get("spec")));
    }
    pods.put("credit-job", map(map(spec(only("FlinkDeployment")).get("podTemplate")).get("spec")));
    for (Map.Entry<String, Map<String, Object>> pod : pods.entrySet()) {
      Map<String, Map<String, Object>> volumes = new HashMap<>();
      for (Object volume : list(pod.getValue().get("volumes"))) {
        volumes.put(map(volume).get("name").toString(), map(volume));
      }
      Map<String, String> mounts = new HashMap<>();
      for (Object container : list(pod.getValue().get("containers"))) {
        mounts.putAll(mountPaths(map(container)));
      }
      boolean mountsSigningKey =
          volumes.values().stream()
              .anyMatch(
                  v ->
                      v.containsKey("secret")
                          && SIGNING_KEY_SECRET.equals(map(v.get("secret")).get("secretName")));
      assertEquals(
          pod.getKey().equals("rredcot-trainer"),
          mountsSigningKey,
          pod.getKey() + ": only the trainer's pod may mount the signing key");
      if (pod.getKey().equals("rredcot-trainer")) {
        // The configured key file lies in the Secret's mount, not on the shared volume.
        Map<String, Object> volume = volumes.get(mountHolding(mounts, signingKey));
        assertEquals(SIGNING_KEY_SECRET, map(volume.get("secret")).get("secretName"), signingKey);
      }
      String trusted = trustedKeys.get(pod.getKey());
      if (trusted != null) {
        Map<String, Object> volume = volumes.get(mountHolding(mounts, trusted));
        assertTrue(volume.containsKey("configMap"), pod.getKey() + ": " + trusted);
        assertEquals(TRUSTED_KEYS_CONFIG_MAP, map(volume.get("configMap")).get("name"));
      }
    }
    // The operator creates both from `keys generate`, as the runbook says.
    String operations = Files.readString(REPOSITORY.resolve("docs/OPERATIONS.md"));
    assertTrue(operations.contains("create secret generic " + SIGNING_KEY_SECRET));
    assertTrue(operations.contains("create configmap " + TRUSTED_KEYS_CONFIG_MAP));
  }

  /** The volume mounted at the longest mount path that holds {@code path}. */
  private static String mountHolding(Map<String, String> mounts, String path) {
    return mounts.entrySet().stream()
        .filter(m -> path.startsWith(m.getKey() + "/"))
        .max(java.util.Comparator.comparingInt(m -> m.getKey().length()))
        .map(Map.Entry::getValue)
        .orElseThrow(() -> new AssertionError(path + " lies in no mounted volume"));
  }

  @Test
  void topicsAreTheSchemasTopicsAndTheConfigurationUsesThem() {
    Set<String> declared = new TreeSet<>();
    for (Map<String, Object> topic : resources("KafkaTopic")) {
      declared.add(spec(topic).get("topicName").toString());
    }
    assertEquals(new TreeSet<>(Topics.ALL), declared);
    Map<String, String> beam =
        ConfigFile.load(configMapFile("rredcot.yaml"))
            .beamOptions(List.of("pipeline"), ConfigFile.configurableOptions(pipelineSpec()));
    for (String option :
        List.of("inputTopic", "outputTopic", "deadLetterTopic", "checkpointsTopic")) {
      if (beam.containsKey(option)) {
        assertTrue(declared.contains(beam.get(option)), option + " " + beam.get(option));
      }
    }
  }

  @Test
  void portsAgreeAcrossListenersProbesMonitorsAndArguments() {
    // Kafka: the configuration's bootstrap is the cluster's bootstrap service on a listener port,
    // and that listener's security is the client properties'.
    ConfigFile config = ConfigFile.load(configMapFile("rredcot.yaml"));
    String bootstrap = config.value(List.of("pipeline"), "bootstrap").orElseThrow();
    String host = bootstrap.substring(0, bootstrap.lastIndexOf(':'));
    int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    Map<String, Object> kafka = only("Kafka");
    assertTrue(
        host.equals(name(kafka) + "-kafka-bootstrap")
            || host.startsWith(
                name(kafka) + "-kafka-bootstrap." + kustomization.get("namespace") + "."),
        host);
    Map<String, Object> listener =
        list(map(spec(kafka).get("kafka")).get("listeners")).stream()
            .map(DeploymentDriftTest::map)
            .filter(l -> ((Number) l.get("port")).intValue() == port)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no listener on port " + port));
    assertEquals(Boolean.TRUE, listener.get("tls"));
    assertEquals("scram-sha-512", map(listener.get("authentication")).get("type"));

    // Services: probes name a declared port, the one given to --metrics-port.
    for (Map<String, Object> container : rredcotContainers()) {
      Map<String, Integer> ports = namedPorts(container);
      for (String probe : List.of("livenessProbe", "readinessProbe")) {
        Map<String, Object> http = map(map(container.get(probe)).get("httpGet"));
        assertTrue(
            ports.containsKey(http.get("port").toString()), container.get("name") + " " + probe);
      }
      assertEquals("/healthz", map(map(container.get("livenessProbe")).get("httpGet")).get("path"));
      assertEquals("/ready", map(map(container.get("readinessProbe")).get("httpGet")).get("path"));
      List<String> args = strings(container.get("args"));
      int flag = args.indexOf("--metrics-port");
      assertTrue(flag >= 0, container.get("name") + " has no --metrics-port");
      assertEquals(Integer.valueOf(args.get(flag + 1)), ports.get("metrics"));
      // The port must listen where the kubelet and Prometheus connect: the CLI's default host is
      // loopback, unreachable from outside the pod, so every service names the pod's address.
      int metricsHost = args.indexOf("--metrics-host");
      assertTrue(
          metricsHost >= 0, container.get("name") + " has no --metrics-host (default: loopback)");
      assertTrue(
          reachableFromOutsideThePod(container, args.get(metricsHost + 1)),
          container.get("name") + ": --metrics-host " + args.get(metricsHost + 1));
    }
    // Monitors: each selects pods, and those pods declare the port it scrapes.
    Map<Map<String, Object>, List<Map<String, Object>>> pods = new HashMap<>();
    for (Map<String, Object> deployment : resources("Deployment")) {
      Map<String, Object> template = map(spec(deployment).get("template"));
      pods.put(
          map(map(template.get("metadata")).get("labels")),
          list(map(template.get("spec")).get("containers")).stream()
              .map(DeploymentDriftTest::map)
              .toList());
    }
    Map<String, Object> podTemplate = map(spec(only("FlinkDeployment")).get("podTemplate"));
    pods.put(map(map(podTemplate.get("metadata")).get("labels")), List.of(flinkMainContainer()));
    for (Map<String, Object> monitor : resources("PodMonitor")) {
      Map<String, Object> selector = map(map(spec(monitor).get("selector")).get("matchLabels"));
      List<Map<String, Object>> selected =
          pods.entrySet().stream()
              .filter(pod -> pod.getKey().entrySet().containsAll(selector.entrySet()))
              .flatMap(pod -> pod.getValue().stream())
              .toList();
      assertFalse(selected.isEmpty(), name(monitor) + " selects no pod");
      for (Object endpoint : list(spec(monitor).get("podMetricsEndpoints"))) {
        String scraped = map(endpoint).get("port").toString();
        for (Map<String, Object> container : selected) {
          assertTrue(
              namedPorts(container).containsKey(scraped),
              name(monitor) + ": " + container.get("name") + " has no port " + scraped);
        }
      }
    }
    // Flink: the Prometheus reporter's port is the pod template's metrics port.
    Map<String, Object> flink = spec(only("FlinkDeployment"));
    Object reporterPort = map(flink.get("flinkConfiguration")).get("metrics.reporter.prom.port");
    assertEquals(
        Integer.valueOf(reporterPort.toString()), namedPorts(flinkMainContainer()).get("metrics"));
  }

  @Test
  void everyQueryOfTheRulesAndTheDashboardNamesMetricsTheCodeEmits() throws IOException {
    List<String> queries = new ArrayList<>();
    Set<String> recorded = new TreeSet<>();
    for (Map<String, Object> group : PrometheusRulesTest.ruleGroups()) {
      for (Object rule : list(group.get("rules"))) {
        queries.add(map(rule).get("expr").toString());
        if (map(rule).containsKey("record")) {
          recorded.add(map(rule).get("record").toString());
        }
      }
    }
    List<String> dashboard = PrometheusRulesTest.dashboardQueries();
    assertFalse(dashboard.isEmpty(), "the dashboard has no query");
    queries.addAll(dashboard);
    for (String query : queries) {
      Set<String> names = metricNamesIn(query);
      assertFalse(names.isEmpty(), "names no project or Flink metric: " + query);
      for (String name : names) {
        assertTrue(
            emittedByTheCode(name) || recorded.contains(name),
            name + " is emitted by nothing (" + query + ")");
      }
    }
  }

  @Test
  void theMetricNameCheckRejectsNamesTheCodeDoesNotEmit() {
    // The check above must be able to fail, for each family of names.
    assertTrue(emittedByTheCode("rredcot_consumer_lag_records"));
    assertFalse(emittedByTheCode("rredcot_consumer_lag"));
    assertTrue(emittedByTheCode(FLINK_OPERATOR_PREFIX + "stage_EstimateValues_in"));
    assertFalse(emittedByTheCode(FLINK_OPERATOR_PREFIX + "stage_EstimateValues_inn"));
    assertTrue(emittedByTheCode(FLINK_OPERATOR_PREFIX + "dead_letters_"));
    assertFalse(emittedByTheCode(FLINK_OPERATOR_PREFIX + "deadletters_"));
    assertTrue(emittedByTheCode("flink_jobmanager_job_numberOfFailedCheckpoints"));
    assertFalse(emittedByTheCode("flink_jobmanager_job_numberOfFailedCheckpoint"));
    assertEquals(
        Set.of(FLINK_OPERATOR_PREFIX + "dead_letters_", "rredcot_worker_rollouts_published_total"),
        metricNamesIn(
            "rate({__name__=~\""
                + FLINK_OPERATOR_PREFIX
                + "dead_letters_.+\", job=\"rredcot/x\"}[5m])"
                + " / rate(rredcot_worker_rollouts_published_total{job=~\".+/rredcot-services\"}[5m])"));
  }

  @Test
  void theCreditJobRunsTheProjectsEntryPointWithItsJvmFlagsAndFlinkVersion() throws IOException {
    Map<String, Object> flink = spec(only("FlinkDeployment"));
    Map<String, Object> job = map(flink.get("job"));
    assertEquals(RredcotCli.class.getName(), job.get("entryClass"));
    String jar = job.get("jarURI").toString();
    String containerfile = Files.readString(DEPLOY.resolve("Containerfile"));
    assertTrue(jar.startsWith("local:///opt/flink/usrlib/"), jar);
    assertTrue(containerfile.contains(jar.substring(jar.lastIndexOf('/') + 1)), jar + " not built");
    assertTrue(containerfile.contains("/opt/flink/usrlib"), "usrlib not linked");

    // Flink version: the Beam runner's, the operator's and the image's.
    String pom = Files.readString(REPOSITORY.resolve("pom.xml"));
    Matcher runner = Pattern.compile("beam-runners-flink-(\\d+)\\.(\\d+)").matcher(pom);
    assertTrue(runner.find());
    assertEquals("v" + runner.group(1) + "_" + runner.group(2), flink.get("flinkVersion"));
    assertTrue(
        containerfile.contains("flink:" + runner.group(1) + "." + runner.group(2) + "-java17"));

    // The launcher's JVM flags, which Flink's JVMs need as much as ./rredcot's.
    String launcher = Files.readString(REPOSITORY.resolve("rredcot"));
    String block =
        launcher.substring(
            launcher.indexOf("JVM_FLAGS=("),
            launcher.indexOf(")\n", launcher.indexOf("JVM_FLAGS=(")));
    Set<String> flags =
        Pattern.compile("\\s+")
            .splitAsStream(block.substring("JVM_FLAGS=(".length()).trim())
            .filter(flag -> !flag.startsWith("-Drredcot.launcher"))
            .collect(Collectors.toSet());
    Set<String> given =
        Set.of(
            map(flink.get("flinkConfiguration")).get("env.java.opts.all").toString().split("\\s+"));
    assertTrue(given.containsAll(flags), "missing JVM flags " + difference(flags, given));

    // Checkpoints: the job's Beam state backend path is the cluster's checkpoint directory.
    String checkpoints =
        map(flink.get("flinkConfiguration")).get("state.checkpoints.dir").toString();
    Map<String, String> beam =
        ConfigFile.load(configMapFile("rredcot.yaml"))
            .beamOptions(List.of("pipeline"), ConfigFile.configurableOptions(pipelineSpec()));
    assertEquals(checkpoints, beam.get("stateBackendStoragePath"));
    Set<String> mounts = mountPaths(flinkMainContainer()).keySet();
    assertTrue(
        mounts.stream().anyMatch(mount -> checkpoints.startsWith("file://" + mount + "/")),
        checkpoints);
  }

  @Test
  void theContainerfileCopiesOnlyWhatExists() throws IOException {
    for (String line : Files.readAllLines(DEPLOY.resolve("Containerfile"))) {
      if (line.startsWith("COPY ") && !line.contains("--from=")) {
        String[] parts = line.substring("COPY ".length()).trim().split("\\s+");
        for (int i = 0; i < parts.length - 1; i++) {
          assertTrue(Files.exists(REPOSITORY.resolve(parts[i])), "COPY of missing " + parts[i]);
        }
      }
    }
  }

  @Test
  void theCheckerRejectsAnUnknownFlagAndAnUnknownCommand() {
    // The checks above must be able to fail.
    assertThrowsAssertion(() -> checkCommandLine(List.of("worker", "--no-such-flag", "1")));
    assertThrowsAssertion(() -> checkCommandLine(List.of("no-such-command")));
    assertThrowsAssertion(() -> checkCommandLine(List.of("pipeline", "--noSuchBeamOption=1")));
    assertThrowsAssertion(() -> checkCommandLine(List.of("pipeline", "--flinkMaster=[auto]")));
    assertThrowsAssertion(() -> checkCommandLine(List.of("pipeline", "--checkpointDir=/s")));
  }

  // ---- hooks -------------------------------------------------------------------------------

  /** The services' metric names as scraped ({@link MetricNames}), histograms with their series. */
  private static Set<String> knownMetricNames() {
    Set<String> names = new TreeSet<>();
    for (MetricNames.Name name : MetricNames.all()) {
      names.add(name.scraped());
      if (name.kind() == MetricNames.Kind.HISTOGRAM) {
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
          names.add(name.name() + suffix);
        }
      }
    }
    return names;
  }

  /** How Flink's Prometheus reporter names the credit job's Beam metrics (operator scope). */
  private static final String FLINK_OPERATOR_PREFIX =
      "flink_taskmanager_job_task_operator_" + DeadLetters.METRICS_NAMESPACE + "_";

  /** The series Prometheus itself writes for every scrape target: 1 when the scrape worked. */
  private static final String PROMETHEUS_UP = "up";

  /** How Flink's Prometheus reporter names the job manager's metrics of a job. */
  private static final String FLINK_JOB_PREFIX = "flink_jobmanager_job_";

  /**
   * Whether {@code name} (or, ending in {@code _}, a name prefix from a {@code __name__} regex) is
   * a metric the code emits: a service metric ({@link MetricNames}), one of the credit job's Beam
   * metrics ({@link StageMetrics#documented()}, placeholders standing for any word) as Flink's
   * reporter names it, or one of Flink's job metrics (constants of Flink's own classes).
   */
  private static boolean emittedByTheCode(String name) {
    if (knownMetricNames().contains(name) || name.equals(PROMETHEUS_UP)) {
      return true;
    }
    if (name.startsWith(FLINK_OPERATOR_PREFIX)) {
      for (MetricNames.Name beam : StageMetrics.documented()) {
        String reported = FLINK_OPERATOR_PREFIX + beam.name().replaceAll("[^A-Za-z0-9_:<>]", "_");
        String literal =
            reported.contains("<") ? reported.substring(0, reported.indexOf('<')) : reported;
        String pattern =
            Stream.of(reported.split("<[^>]+>", -1))
                .map(Pattern::quote)
                .collect(Collectors.joining("[A-Za-z0-9_]+"));
        if (name.matches(pattern) || (name.endsWith("_") && literal.startsWith(name))) {
          return true;
        }
      }
      return false;
    }
    if (name.startsWith(FLINK_JOB_PREFIX)) {
      return flinkJobMetricNames().contains(name.substring(FLINK_JOB_PREFIX.length()));
    }
    return false;
  }

  /** Flink's job metric names: its MetricNames constants and the checkpoint statistics' names. */
  private static Set<String> flinkJobMetricNames() {
    Set<String> names = new TreeSet<>();
    for (Class<?> owner :
        List.of(
            org.apache.flink.runtime.metrics.MetricNames.class,
            org.apache.flink.runtime.checkpoint.CheckpointStatsTracker.class)) {
      for (java.lang.reflect.Field field : owner.getDeclaredFields()) {
        if (java.lang.reflect.Modifier.isStatic(field.getModifiers())
            && field.getType() == String.class) {
          try {
            field.setAccessible(true);
            names.add((String) field.get(null));
          } catch (IllegalAccessException e) {
            throw new AssertionError(e);
          }
        }
      }
    }
    return names;
  }

  /**
   * The project's, Flink's and Prometheus's ({@code up}) metric names in a PromQL query: bare
   * names, recorded names and the literal prefix of a {@code __name__} regex. Other quoted strings
   * (label values, label_replace's patterns) are not names.
   */
  private static Set<String> metricNamesIn(String query) {
    Set<String> names = new TreeSet<>();
    Matcher selector = Pattern.compile("__name__\\s*=~?\\s*\"([A-Za-z0-9_:]*)").matcher(query);
    while (selector.find()) {
      names.add(selector.group(1));
    }
    String unquoted = query.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    Matcher metric =
        Pattern.compile("(?<![A-Za-z0-9_:.$])((?:rredcot|flink)[A-Za-z0-9_:]*)").matcher(unquoted);
    while (metric.find()) {
      names.add(metric.group(1));
    }
    Matcher up = Pattern.compile("(?<![A-Za-z0-9_:.$])up(?=\\s*[{\\[]|\\s*==)").matcher(unquoted);
    if (up.find()) {
      names.add(PROMETHEUS_UP);
    }
    return names;
  }

  /**
   * Whether a --metrics-host value is reachable from outside the pod: the wildcard address, or
   * {@code $(VAR)} with VAR the pod's IP from the downward API.
   */
  private static boolean reachableFromOutsideThePod(Map<String, Object> container, String host) {
    if (host.equals("0.0.0.0") || host.equals("::")) {
      return true;
    }
    Matcher variable = Pattern.compile("\\$\\(([A-Z_]+)\\)").matcher(host);
    if (!variable.matches()) {
      return false;
    }
    for (Object entry : list(container.get("env"))) {
      if (variable.group(1).equals(map(entry).get("name"))) {
        Object field = map(map(entry).getOrDefault("valueFrom", Map.of())).get("fieldRef");
        return field != null && "status.podIP".equals(map(field).get("fieldPath"));
      }
    }
    return false;
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static final String CONFIG_MOUNT = "/etc/rredcot/config";

  /** The Secret with the trainer's checkpoint signing key, created by the operator. */
  private static final String SIGNING_KEY_SECRET = "rredcot-checkpoint-signing";

  /** The ConfigMap with the trainer's public key, created by the operator beside the Secret. */
  private static final String TRUSTED_KEYS_CONFIG_MAP = "rredcot-trusted-keys";

  /**
   * Checks one command line: the command path exists, its options parse, and unmatched arguments
   * are Beam options of the credit job. Returns the command's name.
   */
  private static String checkCommandLine(List<String> line) {
    CommandLine cli = RredcotCli.commandLine(RredcotHome.at(Path.of("/nonexistent-rredcot-home")));
    CommandSpec command = cli.getCommandSpec();
    int at = 0;
    while (at < line.size() && command.subcommands().containsKey(line.get(at))) {
      command = command.subcommands().get(line.get(at)).getCommandSpec();
      at++;
    }
    if (at == 0) {
      fail("not a command: " + line);
    }
    List<String> args = new ArrayList<>(line);
    CommandLine.ParseResult parsed;
    try {
      parsed = cli.parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new AssertionError(line + ": " + e.getMessage(), e);
    }
    CommandLine.ParseResult leaf = parsed;
    while (leaf.subcommand() != null) {
      leaf = leaf.subcommand();
    }
    if (!leaf.unmatched().isEmpty()) {
      assertTrue(
          ConfigFile.takesBeamOptions(leaf.commandSpec()),
          line + ": " + leaf.unmatched() + " are no options of the command");
      for (String unmatched : leaf.unmatched()) {
        if (unmatched.startsWith("--")) {
          // The deployment writes every option by its one name (no Beam camelCase alias).
          String name = unmatched.substring(2).replaceFirst("=.*", "");
          assertTrue(
              BeamFlags.byFlag(name).isPresent(), line + ": --" + name + " is not a job flag");
        }
      }
      try {
        BeamFlags.toBeamArgs(leaf.unmatched());
      } catch (IllegalArgumentException e) {
        throw new AssertionError(line + ": " + e.getMessage(), e);
      }
    }
    return String.join(" ", ConfigDefaults.commandPath(leaf.commandSpec()));
  }

  private static void assertThrowsAssertion(Runnable check) {
    try {
      check.run();
    } catch (AssertionError expected) {
      return;
    }
    fail("the check accepted a wrong command line");
  }

  private static CommandSpec pipelineSpec() {
    return cliSpec().subcommands().get("pipeline").getCommandSpec();
  }

  private static CommandSpec cliSpec() {
    return cliCommandLine().getCommandSpec();
  }

  private static CommandLine cliCommandLine() {
    return RredcotCli.commandLine(RredcotHome.at(Path.of("/nonexistent-rredcot-home")));
  }

  private static Path configMapFile(String key) {
    for (Object generator : list(kustomization.get("configMapGenerator"))) {
      for (Object file : list(map(generator).get("files"))) {
        String entry = file.toString();
        String name = entry.contains("=") ? entry.substring(0, entry.indexOf('=')) : entry;
        String source = entry.contains("=") ? entry.substring(entry.indexOf('=') + 1) : entry;
        if (name.equals(key)) {
          return DEPLOY.resolve(source);
        }
      }
    }
    throw new AssertionError("the ConfigMap has no " + key);
  }

  private static List<Map<String, Object>> resources(String kind) {
    return manifests.values().stream()
        .flatMap(List::stream)
        .filter(resource -> kind.equals(resource.get("kind")))
        .toList();
  }

  private static Map<String, Object> only(String kind) {
    List<Map<String, Object>> found = resources(kind);
    assertEquals(1, found.size(), kind);
    return found.get(0);
  }

  private static Set<String> names(String kind) {
    return resources(kind).stream().map(DeploymentDriftTest::name).collect(Collectors.toSet());
  }

  private static String name(Map<String, Object> resource) {
    return map(resource.get("metadata")).get("name").toString();
  }

  private static Map<String, Object> spec(Map<String, Object> resource) {
    return map(resource.get("spec"));
  }

  /** The containers of the Deployments, which all run the project image's launcher. */
  private static List<Map<String, Object>> rredcotContainers() {
    List<Map<String, Object>> containers = new ArrayList<>();
    for (Map<String, Object> deployment : resources("Deployment")) {
      Map<String, Object> pod = map(map(spec(deployment).get("template")).get("spec"));
      for (Object container : list(pod.get("containers"))) {
        assertEquals("rredcot", map(container).get("image"), name(deployment));
        containers.add(map(container));
      }
    }
    return containers;
  }

  private static Map<String, Object> flinkMainContainer() {
    Map<String, Object> pod =
        map(map(spec(only("FlinkDeployment")).get("podTemplate")).get("spec"));
    return list(pod.get("containers")).stream()
        .map(DeploymentDriftTest::map)
        .filter(container -> "flink-main-container".equals(container.get("name")))
        .findFirst()
        .orElseThrow();
  }

  /** Mount path → volume name. */
  private static Map<String, String> mountPaths(Map<String, Object> container) {
    Map<String, String> mounts = new HashMap<>();
    for (Object mount : list(container.get("volumeMounts"))) {
      mounts.put(map(mount).get("mountPath").toString(), map(mount).get("name").toString());
    }
    return mounts;
  }

  private static Map<String, Integer> namedPorts(Map<String, Object> container) {
    Map<String, Integer> ports = new HashMap<>();
    for (Object port : list(container.get("ports"))) {
      ports.put(
          map(port).get("name").toString(), ((Number) map(port).get("containerPort")).intValue());
    }
    return ports;
  }

  private static Set<String> difference(Set<String> all, Set<String> some) {
    Set<String> missing = new TreeSet<>(all);
    missing.removeAll(some);
    return missing;
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

  private static List<Object> list(Object value) {
    if (value == null) {
      return List.of();
    }
    assertTrue(value instanceof List, "not a list: " + value);
    @SuppressWarnings("unchecked")
    List<Object> list = (List<Object>) value;
    return list;
  }

  private static List<String> strings(Object value) {
    return list(value).stream().map(String::valueOf).toList();
  }
}
