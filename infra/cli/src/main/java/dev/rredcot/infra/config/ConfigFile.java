package dev.rredcot.infra.config;

import dev.rredcot.pipelines.BeamFlags;
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
 * ({@code pipeline: {max-records: 0}}, nested for {@code bench model}). Keys are the options' long
 * names without {@code --}, exactly as on the command line: the commands' own options, taken from
 * the commands themselves, and for the credit-job commands ({@code pipeline}, {@code replay}: those
 * with {@code --beam-help}) the job's options by their flags ({@link BeamFlags}, e.g. {@code
 * group-timeout-ms}). Every option of every command can be set, under its one name, and nothing
 * else can.
 */
public final class ConfigFile {
  /** The default file name under {@code $RREDCOT_HOME}. */
  public static final String FILE_NAME = "rredcot.yaml";

  /** The option a command that takes the credit job's options lists them with. */
  public static final String BEAM_HELP = "--beam-help";

  /** The section name of Beam options before they were keys like every other. */
  private static final String OLD_BEAM_SECTION = "beam";

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
   * The credit job's options for the command at {@code commandPath}, by Beam property name: the
   * keys that are job flags at the top level, overridden key by key by the command's own section;
   * keys that are among {@code commandOptions} (the command's own options) are not the job's.
   */
  public Map<String, String> beamOptions(List<String> commandPath, Set<String> commandOptions) {
    Map<String, String> options = new LinkedHashMap<>();
    beamEntries(root, commandOptions).forEach((name, value) -> options.put(name, scalar(value)));
    Map<String, Object> section = section(commandPath);
    if (section != null && !commandPath.isEmpty()) {
      beamEntries(section, commandOptions)
          .forEach((name, value) -> options.put(name, scalar(value)));
    }
    return options;
  }

  private static Map<String, Object> beamEntries(
      Map<String, Object> section, Set<String> commandOptions) {
    Map<String, Object> entries = new LinkedHashMap<>();
    section.forEach(
        (key, value) -> {
          if (!commandOptions.contains(key) && !(value instanceof Map)) {
            BeamFlags.byFlag(key).ifPresent(option -> entries.put(option.property(), value));
          }
        });
    return entries;
  }

  /**
   * Checks every key against the command tree under {@code rootCommand} and the credit job's
   * options.
   *
   * @throws ConfigException naming every unknown or misplaced key
   */
  public void validate(CommandSpec rootCommand) {
    List<String> problems = new ArrayList<>();
    Set<String> shared =
        allCommands(rootCommand).stream()
            .flatMap(command -> configurableOptions(command).stream())
            .collect(Collectors.toSet());
    for (Map.Entry<String, Object> entry : root.entrySet()) {
      String key = entry.getKey();
      Object value = entry.getValue();
      if (rootCommand.subcommands().containsKey(key)) {
        checkSection(key, rootCommand.subcommands().get(key).getCommandSpec(), value, problems);
      } else if (shared.contains(key) || BeamFlags.byFlag(key).isPresent()) {
        checkScalar(key, value, problems);
      } else {
        problems.add("unknown key '" + key + "': no command has an option --" + key + hint(key));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("the config file " + path + ": " + String.join("; ", problems));
    }
  }

  private static void checkSection(
      String where, CommandSpec command, Object value, List<String> problems) {
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
      if (command.subcommands().containsKey(key)) {
        checkSection(
            dotted, command.subcommands().get(key).getCommandSpec(), entry.getValue(), problems);
      } else if (options.contains(key)
          || (takesBeamOptions(command) && BeamFlags.byFlag(key).isPresent())) {
        checkScalar(dotted, entry.getValue(), problems);
      } else {
        problems.add(
            "unknown key '"
                + dotted
                + "': `"
                + command.qualifiedName()
                + "` has no option --"
                + key
                + hint(key));
      }
    }
  }

  /** What to write instead of a key that is no option: its kebab-case flag, or no section. */
  private static String hint(String key) {
    if (key.equals(OLD_BEAM_SECTION)) {
      return " (the job's options are keys like any other, by their flags: group-timeout-ms: 60000)";
    }
    return BeamFlags.spelling(key)
        .filter(flag -> !flag.equals(key))
        .map(flag -> " (write it " + flag + ")")
        .orElse("");
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

  /** Whether the command takes the credit job's options (it lists them with --beam-help). */
  public static boolean takesBeamOptions(CommandSpec command) {
    return command.findOption(BEAM_HELP) != null;
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
