package dev.rredcot.infra.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.service.KafkaClientConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * Where the file is found ({@code --config}, {@code $RREDCOT_CONFIG}, the home) and how the
 * environment ranks against it, on a small command tree of its own.
 */
class ConfigDefaultsTest {
  @TempDir Path tempDir;

  private final Map<String, String> environment = new HashMap<>();

  @Command(name = "top", subcommands = Leaf.class)
  static final class Top {}

  @Command(name = "leaf")
  static final class Leaf {
    @Option(names = "--kafka-config")
    String kafkaConfig;

    @Option(names = "--size", defaultValue = "1")
    int size;
  }

  private ConfigDefaults defaults() {
    return new ConfigDefaults(RredcotHome.at(tempDir), environment::get);
  }

  private static OptionSpec option(CommandLine top, String name) {
    return top.getSubcommands().get("leaf").getCommandSpec().findOption(name);
  }

  @Test
  void theFileIsTheFlagsElseTheEnvironmentsElseTheHomes() throws Exception {
    Path inHome = Files.writeString(tempDir.resolve(ConfigFile.FILE_NAME), "leaf:\n  size: 2\n");
    Path named = Files.writeString(tempDir.resolve("named.yaml"), "leaf:\n  size: 3\n");
    Path flagged = Files.writeString(tempDir.resolve("flagged.yaml"), "leaf:\n  size: 4\n");
    ConfigDefaults defaults = defaults();
    assertEquals(Optional.of(inHome), defaults.location().file());
    assertEquals(2, size(defaults));
    environment.put(ConfigDefaults.ENVIRONMENT_VARIABLE, named.toString());
    defaults = defaults();
    assertEquals(Origin.ENV, defaults.location().origin());
    assertEquals(3, size(defaults));
    defaults.useFile(flagged);
    assertEquals(Origin.FLAG, defaults.location().origin());
    assertEquals(4, size(defaults));
  }

  @Test
  void withoutAnyFileEveryOptionKeepsItsDefault() {
    ConfigDefaults defaults = defaults();
    assertTrue(defaults.location().file().isEmpty());
    assertEquals(1, size(defaults));
  }

  @Test
  void theEnvironmentRanksAboveTheFile() throws Exception {
    Files.writeString(tempDir.resolve(ConfigFile.FILE_NAME), "kafka-config: /from/file\n");
    ConfigDefaults defaults = defaults();
    CommandLine top = commandLine(defaults);
    assertEquals(Origin.FILE, defaults.origin(option(top, "--kafka-config")));
    environment.put(KafkaClientConfig.ENVIRONMENT_VARIABLE, "/from/env");
    top = commandLine(defaults);
    top.parseArgs("leaf");
    // Unset, so the command reads the variable itself; the source says so.
    assertNull(option(top, "--kafka-config").getValue());
    assertEquals(Origin.ENV, defaults.origin(option(top, "--kafka-config")));
  }

  @Test
  void aMalformedFileIsAnErrorNamingIt() throws Exception {
    Path broken = Files.writeString(tempDir.resolve("broken.yaml"), "leaf: [unclosed\n");
    ConfigDefaults defaults = defaults();
    defaults.useFile(broken);
    CommandLine top = commandLine(defaults);
    CommandLine.ParameterException failure =
        assertThrows(CommandLine.ParameterException.class, () -> top.parseArgs("leaf"));
    assertTrue(failure.getMessage().contains("broken.yaml"), failure.getMessage());
  }

  private static CommandLine commandLine(ConfigDefaults defaults) {
    CommandLine top = new CommandLine(new Top());
    top.setDefaultValueProvider(defaults);
    return top;
  }

  private static int size(ConfigDefaults defaults) {
    CommandLine top = commandLine(defaults);
    top.parseArgs("leaf");
    return option(top, "--size").getValue();
  }
}
