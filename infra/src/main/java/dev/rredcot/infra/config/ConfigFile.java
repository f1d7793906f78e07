package dev.rredcot.infra.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The parsed {@code rredcot.yaml}: a key at the top names an option shared by every command that
 * has it ({@code bootstrap: kafka:9092}); a key named after a command is that command's section
 * ({@code pipeline: {max-records: 0}}, nested for {@code bench model}); {@code beam} (at the top or
 * in a credit-job command's section) holds Beam options of the job by their Beam names. Keys are
 * the options' long names without {@code --}, taken from the commands themselves, so every option
 * of every command can be set and nothing else can.
 */
public final class ConfigFile {
  /** The default file name under {@code $RREDCOT_HOME}. */
  public static final String FILE_NAME = "rredcot.yaml";

  /** The section of Beam options passed through to the credit job. */
  public static final String BEAM = "beam";

  private static final ConfigFile NONE = new ConfigFile(null, Map.of());

  private final Path path;
  private final Map<String, Object> root;

  private ConfigFile(Path path, Map<String, Object> root) {
    this.path = path;
    this.root = root;
  }

  /** No file: every lookup is empty. */
  public static ConfigFile none() {
    return NONE;
  }

  /**
   * Reads a file (YAML, safe constructor: plain maps, lists and scalars only; duplicate keys are an
   * error).
   *
   * @throws ConfigException when it cannot be read or is not a map of string keys
   */
  public static ConfigFile load(Path file) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    Object document;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      document = new Yaml(new SafeConstructor(options)).load(reader);
    } catch (IOException e) {
      throw new ConfigException("cannot read the config file " + file + ": " + e, e);
    } catch (YAMLException e) {
      throw new ConfigException(
          "the config file " + file + " is not valid YAML: " + e.getMessage(), e);
    }
    if (document == null) {
      return new ConfigFile(file, Map.of());
    }
    if (!(document instanceof Map<?, ?> map)) {
      throw new ConfigException("the config file " + file + " must be a map of keys to values");
    }
    return new ConfigFile(file, section(file, "", map));
  }

  /** The file read, if any. */
  public Optional<Path> path() {
    return Optional.ofNullable(path);
  }

  /**
   * The value of option {@code key} for the command at {@code commandPath} (e.g. {@code [bench,
   * model]}): from the command's section, else the shared top level. Lists become comma-separated.
   */
  public Optional<String> value(List<String> commandPath, String key) {
    Map<String, Object> section = section(commandPath);
    Object value = section == null ? null : section.get(key);
    if (value == null || value instanceof Map) {
      value = root.get(key);
    }
    return value == null || value instanceof Map ? Optional.empty() : Optional.of(scalar(value));
  }

  /**
   * The Beam options of the command at {@code commandPath}: the top-level {@code beam} section,
   * overridden key by key by the command's own.
   */
  public Map<String, String> beamOptions(List<String> commandPath) {
    Map<String, String> options = new LinkedHashMap<>();
    beamSection(root).forEach((name, value) -> options.put(name, scalar(value)));
    Map<String, Object> section = section(commandPath);
    if (section != null && !commandPath.isEmpty()) {
      beamSection(section).forEach((name, value) -> options.put(name, scalar(value)));
    }
    return options;
  }

  /**
   * Checks every key against the command tree under {@code rootCommand}, the Beam options the job
   * knows, and the Beam options the CLI sets from its own options ({@code beam name -> CLI key}).
   *
   * @throws ConfigException naming every unknown or misplaced key
   */
  public void validate(
      CommandSpec rootCommand, Set<String> beamOptions, Map<String, String> cliOwnedBeamOptions) {
    List<String> problems = new ArrayList<>();
    Set<String> shared =
        allCommands(rootCommand).stream()
            .flatMap(command -> configurableOptions(command).stream())
            .collect(Collectors.toSet());
    for (Map.Entry<String, Object> entry : root.entrySet()) {
      String key = entry.getKey();
      Object value = entry.getValue();
      if (key.equals(BEAM)) {
        checkBeam(key, value, beamOptions, cliOwnedBeamOptions, problems);
      } else if (rootCommand.subcommands().containsKey(key)) {
        checkSection(
            key,
            rootCommand.subcommands().get(key).getCommandSpec(),
            value,
            problems,
            beamOptions,
            cliOwnedBeamOptions);
      } else if (shared.contains(key)) {
        checkScalar(key, value, problems);
      } else {
        problems.add("unknown key '" + key + "': no command has an option --" + key);
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("the config file " + path + ": " + String.join("; ", problems));
    }
  }

  private static void checkSection(
      String where,
      CommandSpec command,
      Object value,
      List<String> problems,
      Set<String> beamOptions,
      Map<String, String> cliOwned) {
    if (value == null) {
      return;
    }
    if (!(value instanceof Map<?, ?> section)) {
      problems.add("'" + where + "' is a command: give it a map of its options");
      return;
    }
    Set<String> options = configurableOptions(command);
    for (Map.Entry<?, ?> entry : section.entrySet()) {
      String key = String.valueOf(entry.getKey());
      String dotted = where + "." + key;
      if (key.equals(BEAM) && takesBeamOptions(command)) {
        checkBeam(dotted, entry.getValue(), beamOptions, cliOwned, problems);
      } else if (command.subcommands().containsKey(key)) {
        checkSection(
            dotted,
            command.subcommands().get(key).getCommandSpec(),
            entry.getValue(),
            problems,
            beamOptions,
            cliOwned);
      } else if (options.contains(key)) {
        checkScalar(dotted, entry.getValue(), problems);
      } else {
        problems.add(
            "unknown key '"
                + dotted
                + "': `"
                + command.qualifiedName()
                + "` has no option --"
                + key
                + (key.equals(BEAM) ? " and takes no Beam options" : ""));
      }
    }
  }

  private static void checkBeam(
      String where,
      Object value,
      Set<String> beamOptions,
      Map<String, String> cliOwned,
      List<String> problems) {
    if (!(value instanceof Map<?, ?> section)) {
      problems.add("'" + where + "' must be a map of Beam option names to values");
      return;
    }
    for (Map.Entry<?, ?> entry : section.entrySet()) {
      String name = String.valueOf(entry.getKey());
      String dotted = where + "." + name;
      if (cliOwned.containsKey(name)) {
        problems.add(
            "'"
                + dotted
                + "': the CLI sets this Beam option from its key '"
                + cliOwned.get(name)
                + "': set that instead");
      } else if (!beamOptions.contains(name)) {
        problems.add(
            "unknown key '"
                + dotted
                + "': not a Beam option of the credit job (rredcot pipeline --beam-help)");
      } else {
        checkScalar(dotted, entry.getValue(), problems);
      }
    }
  }

  private static void checkScalar(String where, Object value, List<String> problems) {
    if (value == null) {
      problems.add("'" + where + "' has no value");
    } else if (value instanceof Map) {
      problems.add("'" + where + "' is an option: give it a value, not a map");
    } else if (value instanceof Collection<?> list
        && list.stream().anyMatch(item -> item instanceof Map || item instanceof Collection)) {
      problems.add("'" + where + "' must be a value or a list of values");
    }
  }

  /** Whether the command passes unmatched {@code --name=value} arguments to the credit job. */
  public static boolean takesBeamOptions(CommandSpec command) {
    return !command.unmatchedArgsBindings().isEmpty();
  }

  /**
   * The keys of a command: long option names without {@code --}, except help, version and {@code
   * --config} itself.
   */
  public static Set<String> configurableOptions(CommandSpec command) {
    return command.options().stream()
        .filter(ConfigFile::configurable)
        .map(option -> option.longestName().substring(2))
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  /** Whether an option can be set from the file. */
  public static boolean configurable(OptionSpec option) {
    return option.longestName().startsWith("--")
        && !option.usageHelp()
        && !option.versionHelp()
        && !option.longestName().equals(ConfigDefaults.CONFIG_OPTION);
  }

  /** {@code root} and every command below it, depth first. */
  public static List<CommandSpec> allCommands(CommandSpec root) {
    List<CommandSpec> all = new ArrayList<>();
    all.add(root);
    for (var sub : root.subcommands().values()) {
      if (!sub.getCommandSpec().equals(root)) {
        allCommands(sub.getCommandSpec()).stream()
            .filter(spec -> !all.contains(spec))
            .forEach(all::add);
      }
    }
    return all;
  }

  private Map<String, Object> section(List<String> commandPath) {
    Map<String, Object> section = root;
    for (String name : commandPath) {
      Object next = section.get(name);
      if (!(next instanceof Map)) {
        return null;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) next;
      section = map;
    }
    return section;
  }

  private static Map<String, Object> beamSection(Map<String, Object> section) {
    Object beam = section.get(BEAM);
    if (!(beam instanceof Map)) {
      return Map.of();
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) beam;
    return map;
  }

  private static String scalar(Object value) {
    if (value instanceof java.util.Date date) {
      // YAML reads an unquoted ISO time as a timestamp; give it back as ISO-8601.
      return date.toInstant().toString();
    }
    if (value instanceof Collection<?> list) {
      return list.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
    return String.valueOf(value);
  }

  /** Copies a YAML map, making sure every key (at every depth) is a string. */
  private static Map<String, Object> section(Path file, String where, Map<?, ?> map) {
    Map<String, Object> copy = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      if (!(entry.getKey() instanceof String key)) {
        throw new ConfigException(
            "the config file "
                + file
                + ": key "
                + entry.getKey()
                + " under '"
                + where
                + "' is not a name");
      }
      Object value = entry.getValue();
      String dotted = where.isEmpty() ? key : where + "." + key;
      copy.put(key, value instanceof Map<?, ?> inner ? section(file, dotted, inner) : value);
    }
    return copy;
  }
}
