package dev.rredcot.infra.cli;

import dev.rredcot.infra.config.ConfigDefaults;
import dev.rredcot.infra.config.ConfigFile;
import dev.rredcot.infra.config.Origin;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.pipelines.BeamFlags;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot config}: the effective configuration of every command (or of one command line),
 * each value with where it came from (default, file, env, flag), secrets masked, and the Kafka
 * client properties the commands would use.
 */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = {
      "Show the effective configuration: every option of every command, or of one command line"
          + " (`rredcot config pipeline --bootstrap h:1`), with its source: default, file"
          + " (--config, $RREDCOT_CONFIG or $RREDCOT_HOME/rredcot.yaml), env or flag.",
      "Secrets (passwords, sasl.jaas.config) are masked, in the Kafka client properties too."
    })
final class ConfigCommand implements Callable<Integer> {
  private static final Set<String> NOT_SHOWN = Set.of("help", "config");
  private static final String MASK = "[hidden]";

  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Parameters(
      arity = "0..*",
      paramLabel = "COMMAND",
      description = "A command line to show (command, subcommand and its flags); default: all.")
  List<String> commandLine = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ConfigDefaults defaults = ConfigDefaults.of(spec.commandLine()).orElseThrow();
    ConfigDefaults.Location location = defaults.location();
    out.printf(
        "config file: %s%n",
        location
            .file()
            .map(file -> file + " (" + location.how() + ")")
            .orElse("none (" + location.how() + " does not exist)"));
    out.printf("home: %s%n", cli.home());
    Map<Path, String> kafkaConfigs = new LinkedHashMap<>();
    if (commandLine.isEmpty()) {
      CommandSpec root = spec.root();
      for (CommandSpec command : ConfigFile.allCommands(root)) {
        List<String> path = ConfigDefaults.commandPath(command);
        if (!path.isEmpty() && !NOT_SHOWN.contains(path.get(0))) {
          show(path, out, kafkaConfigs);
        }
      }
    } else {
      show(commandLine, out, kafkaConfigs);
    }
    for (Map.Entry<Path, String> kafka : kafkaConfigs.entrySet()) {
      showKafkaConfig(kafka.getKey(), kafka.getValue(), out);
    }
    out.flush();
    return 0;
  }

  /** Parses {@code args} on a fresh command line with the same file, and prints its options. */
  private void show(List<String> args, PrintWriter out, Map<Path, String> kafkaConfigs) {
    CommandLine fresh = RredcotCli.commandLine(cli.home());
    for (CommandSpec command : ConfigFile.allCommands(fresh.getCommandSpec())) {
      // A command line without its required options still shows its configuration.
      command.parser().collectErrors(true);
    }
    List<String> line = new ArrayList<>();
    ConfigDefaults.Location location =
        ConfigDefaults.of(spec.commandLine()).orElseThrow().location();
    if (location.origin() == Origin.FLAG) {
      line.add(ConfigDefaults.CONFIG_OPTION);
      line.add(location.file().orElseThrow().toString());
    }
    line.addAll(args);
    CommandLine.ParseResult parsed = fresh.parseArgs(line.toArray(String[]::new));
    CommandLine.ParseResult leaf = parsed;
    while (leaf.subcommand() != null) {
      leaf = leaf.subcommand();
    }
    for (Exception error : errors(parsed)) {
      if (!(error instanceof CommandLine.MissingParameterException)) {
        throw new ParameterException(spec.commandLine(), error.getMessage(), error);
      }
    }
    CommandSpec command = leaf.commandSpec();
    if (command == fresh.getCommandSpec()) {
      throw new ParameterException(
          spec.commandLine(), "unknown command: " + String.join(" ", args));
    }
    ConfigDefaults defaults = ConfigDefaults.of(fresh).orElseThrow();
    out.printf("%n%s%n", String.join(" ", ConfigDefaults.commandPath(command)));
    for (OptionSpec option : command.options()) {
      if (!ConfigFile.configurable(option)) {
        continue;
      }
      String key = ConfigDefaults.key(option);
      Origin origin = leaf.hasMatchedOption(option) ? Origin.FLAG : defaults.origin(option);
      Object value = option.getValue();
      String source = origin.label();
      if (origin == Origin.ENV) {
        String variable = defaults.fromEnvironment(key).orElseThrow();
        value = System.getenv(variable);
        source = "env $" + variable;
      }
      row(out, "--" + key, display(key, value), source);
      if (key.equals("kafka-config") && value != null) {
        kafkaConfigs.putIfAbsent(Path.of(value.toString()), source);
      }
    }
    if (ConfigFile.takesBeamOptions(command)) {
      Map<String, String> fromFile = defaults.beamOptions(command);
      List<String> given;
      try {
        given = BeamFlags.toBeamArgs(leaf.unmatched());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      if (!fromFile.isEmpty() || !given.isEmpty()) {
        out.printf("  options of the credit job (others: their defaults, see --beam-help)%n");
      }
      List<String> givenProperties = new ArrayList<>();
      for (String arg : given) {
        int equals = arg.indexOf('=');
        String property = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
        String value = equals < 0 ? "true" : arg.substring(equals + 1);
        String flag = BeamFlags.flag(property);
        givenProperties.add(property);
        row(out, "--" + flag, display(flag, value), Origin.FLAG.label());
      }
      fromFile.forEach(
          (property, value) -> {
            if (!givenProperties.contains(property)) {
              String flag = BeamFlags.flag(property);
              row(out, "--" + flag, display(flag, value), Origin.FILE.label());
            }
          });
    }
  }

  private static List<Exception> errors(CommandLine.ParseResult parsed) {
    List<Exception> errors = new ArrayList<>();
    for (CommandLine.ParseResult at = parsed; at != null; at = at.subcommand()) {
      errors.addAll(at.errors());
    }
    return errors;
  }

  private static void showKafkaConfig(Path file, String source, PrintWriter out) {
    out.printf("%nkafka client properties: %s (%s)%n", file, source);
    if (!Files.isRegularFile(file)) {
      out.printf("  (the file does not exist)%n");
      return;
    }
    KafkaClientConfig.load(file).masked().forEach((name, value) -> row(out, name, value, ""));
  }

  private static String display(String key, Object value) {
    if (value == null) {
      return "(unset)";
    }
    if (KafkaClientConfig.isSecret(key)) {
      return MASK;
    }
    return value instanceof Object[] array ? Arrays.toString(array) : String.valueOf(value);
  }

  private static void row(PrintWriter out, String name, String value, String source) {
    out.printf("  %-28s %-40s %s%n", name, value, source).flush();
  }
}
