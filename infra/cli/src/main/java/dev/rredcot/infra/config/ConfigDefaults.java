package dev.rredcot.infra.config;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.service.KafkaClientConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The CLI's default-value provider: every option a command line leaves unset takes its value from
 * the environment (the few variables the project reads, e.g. {@code $RREDCOT_KAFKA_CONFIG}), else
 * from the configuration file ({@link ConfigFile}), else its own default. The file is {@code
 * --config FILE}, else {@code $RREDCOT_CONFIG}, else {@code $RREDCOT_HOME/rredcot.yaml} when it
 * exists; it is read once, and checked against the whole command tree before any value is used.
 */
public final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
  /** The option that names the file. */
  public static final String CONFIG_OPTION = "--config";

  /** The environment variable that names the file when {@code --config} is not given. */
  public static final String ENVIRONMENT_VARIABLE = "RREDCOT_CONFIG";

  /**
   * Options the environment sets (above the file, below a flag): the variables the project already
   * reads, by the key they stand for.
   */
  public static final Map<String, String> ENVIRONMENT =
      Map.of("kafka-config", KafkaClientConfig.ENVIRONMENT_VARIABLE);

  /** Where the file came from. */
  public record Location(Optional<Path> file, Origin origin, String how) {}

  private final RredcotHome home;
  private final Function<String, String> environment;
  private Path flagFile;
  private ConfigFile file;

  /** A provider for the CLI in {@code home}, reading variables from {@code environment}. */
  public ConfigDefaults(RredcotHome home, Function<String, String> environment) {
    this.home = home;
    this.environment = environment;
  }

  /** The provider of a command line built by the CLI, if it has one. */
  public static Optional<ConfigDefaults> of(CommandLine commandLine) {
    return commandLine.getDefaultValueProvider() instanceof ConfigDefaults defaults
        ? Optional.of(defaults)
        : Optional.empty();
  }

  /** {@code --config FILE}: read this file instead. */
  public synchronized void useFile(Path configFile) {
    this.flagFile = configFile;
    this.file = null;
  }

  /** Where the file is looked for, and whether it is there. */
  public Location location() {
    if (flagFile != null) {
      return new Location(Optional.of(flagFile), Origin.FLAG, CONFIG_OPTION);
    }
    String fromEnvironment = environment.apply(ENVIRONMENT_VARIABLE);
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return new Location(
          Optional.of(Path.of(fromEnvironment)), Origin.ENV, "$" + ENVIRONMENT_VARIABLE);
    }
    Path inHome = home.root().resolve(ConfigFile.FILE_NAME);
    return new Location(
        Files.isRegularFile(inHome) ? Optional.of(inHome) : Optional.empty(),
        Origin.DEFAULT,
        "$" + RredcotHome.ENVIRONMENT_VARIABLE + "/" + ConfigFile.FILE_NAME);
  }

  /**
   * The file, read and checked against the command tree that {@code anyCommand} belongs to.
   *
   * @throws ConfigException when it is missing (named explicitly), unreadable or has unknown keys
   */
  public synchronized ConfigFile file(CommandSpec anyCommand) {
    if (file == null) {
      Location location = location();
      if (location.file().isEmpty()) {
        file = ConfigFile.none();
      } else {
        Path path = location.file().get();
        if (!Files.isRegularFile(path)) {
          throw new ConfigException(
              "the config file " + path + " (" + location.how() + ") does not exist");
        }
        ConfigFile loaded = ConfigFile.load(path);
        loaded.validate(root(anyCommand));
        file = loaded;
      }
    }
    return file;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || !ConfigFile.configurable(option)) {
      return null;
    }
    String key = key(option);
    if (fromEnvironment(key).isPresent()) {
      // The option stays unset and the command reads the variable itself.
      return null;
    }
    try {
      return file(option.command()).value(commandPath(option.command()), key).orElse(null);
    } catch (ConfigException e) {
      throw new CommandLine.ParameterException(option.command().commandLine(), e.getMessage(), e);
    }
  }

  /** Where an option's value comes from when the command line does not give it. */
  public Origin origin(OptionSpec option) {
    if (!ConfigFile.configurable(option)) {
      return Origin.DEFAULT;
    }
    String key = key(option);
    if (fromEnvironment(key).isPresent()) {
      return Origin.ENV;
    }
    return file(option.command()).value(commandPath(option.command()), key).isPresent()
        ? Origin.FILE
        : Origin.DEFAULT;
  }

  /** The environment variable that sets {@code key}, when it is set. */
  public Optional<String> fromEnvironment(String key) {
    String variable = ENVIRONMENT.get(key);
    if (variable == null) {
      return Optional.empty();
    }
    String value = environment.apply(variable);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(variable);
  }

  /**
   * The file's credit-job options for {@code command}, by Beam property name (top-level keys that
   * are job flags, then its own section's).
   */
  public Map<String, String> beamOptions(CommandSpec command) {
    return file(command).beamOptions(commandPath(command), ConfigFile.configurableOptions(command));
  }

  /** The option's key: its long name without {@code --}. */
  public static String key(OptionSpec option) {
    return option.longestName().substring(2);
  }

  /** The names from the top command down to {@code command}, without the top one. */
  public static List<String> commandPath(CommandSpec command) {
    List<String> path = new ArrayList<>();
    for (CommandSpec at = command; at != null && at.parent() != null; at = at.parent()) {
      path.add(at.name());
    }
    Collections.reverse(path);
    return path;
  }

  private static CommandSpec root(CommandSpec command) {
    CommandSpec at = command;
    while (at.parent() != null) {
      at = at.parent();
    }
    return at;
  }
}
