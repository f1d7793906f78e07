package dev.rredcot.pipelines;

import java.io.PrintWriter;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * How the credit job's Beam options are written: in kebab-case like every other option of the
 * project ({@code --group-timeout-ms=60000}, {@code --flink-master=HOST:PORT}), one name per
 * option, on the command line and in the configuration file alike. This class is the one place that
 * translates them into the camelCase property names Beam's {@link PipelineOptionsFactory} parses.
 * Two project options take the name the other commands use for the same concept: {@code
 * --bootstrap} (Beam's {@code bootstrapServers}) and {@code --store} ({@code checkpointDir}).
 * Beam's own and the runners' options are also accepted under their camelCase Beam names ({@code
 * --flinkMaster}), the spelling Beam's and Flink's documentation use; the project's are not. An
 * option given twice, under one name or two, is an error.
 */
public final class BeamFlags {
  /** Project options whose flag is the name the other commands give the same concept. */
  private static final Map<String, String> RENAMED =
      Map.of("bootstrapServers", "bootstrap", "checkpointDir", "store");

  private static final String PROJECT_PACKAGE = "dev.rredcot.";

  private static volatile Table table;

  private BeamFlags() {}

  /** One Beam option: its Beam property name, its flag (without {@code --}) and where it is. */
  public record Option(
      String property,
      String flag,
      Class<?> type,
      Class<?> declaredBy,
      boolean hidden,
      String description,
      Optional<String> defaultValue) {
    /** Whether the project declares it (not Beam or a runner). */
    public boolean project() {
      return declaredBy.getName().startsWith(PROJECT_PACKAGE);
    }

    /** Whether Beam takes it more than once (a list). */
    boolean repeatable() {
      return type.isArray() || Collection.class.isAssignableFrom(type);
    }
  }

  /** Every option the job accepts, by flag. */
  public static SortedSet<String> flags() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(table().byFlag.keySet()));
  }

  /** The option written {@code --flag}, if there is one. */
  public static Optional<Option> byFlag(String flag) {
    return Optional.ofNullable(table().byFlag.get(flag));
  }

  /** The flag (without {@code --}) of Beam property {@code property}. */
  public static String flag(String property) {
    Option option = table().byProperty.get(property);
    if (option == null) {
      throw new IllegalArgumentException("not a Beam option of the credit job: " + property);
    }
    return option.flag();
  }

  /**
   * The kebab-case form of a camelCase name ({@code endpointEntropyTopK ->
   * endpoint-entropy-top-k}).
   */
  public static String kebab(String camel) {
    return camel
        .replaceAll("([A-Z]+)([A-Z][a-z])", "$1-$2")
        .replaceAll("([a-z0-9])([A-Z])", "$1-$2")
        .toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The arguments in Beam's spelling ({@code --property=value}, or {@code --property} for a bare
   * boolean) of a command line of flags: {@code --flag=value}, {@code --flag value} or {@code
   * --flag}.
   *
   * @throws IllegalArgumentException with a one-line message naming the argument: an unknown option
   *     (with the closest flag), a project option in Beam's camelCase (with its flag), an option
   *     given twice, or a value without an option
   */
  public static List<String> toBeamArgs(List<String> args) {
    List<String> beamArgs = new ArrayList<>();
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new IllegalArgumentException(
            "unexpected argument '" + arg + "': the job's options are --name=value");
      }
      int equals = arg.indexOf('=');
      String name = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
      Optional<String> value =
          equals < 0 ? Optional.empty() : Optional.of(arg.substring(equals + 1));
      if (value.isEmpty() && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = Optional.of(args.get(++i));
      }
      Option option = resolve(name);
      String earlier = seen.putIfAbsent(option.property(), name);
      if (earlier != null && !option.repeatable()) {
        throw new IllegalArgumentException(
            earlier.equals(name)
                ? "--" + name + " is given twice: give it once"
                : "--" + earlier + " and --" + name + " are one option: give it once");
      }
      beamArgs.add("--" + option.property() + value.map(v -> "=" + v).orElse(""));
    }
    return beamArgs;
  }

  /**
   * The option a user wrote as {@code --name}: its flag, or Beam's camelCase name of one of Beam's
   * own or a runner's options.
   *
   * @throws IllegalArgumentException with a one-line message when there is none
   */
  public static Option resolve(String name) {
    Table options = table();
    Option option = options.byFlag.get(name);
    if (option != null) {
      return option;
    }
    option = options.byProperty.get(name);
    if (option != null && !option.project()) {
      return option; // Beam's own spelling of Beam's and the runners' options
    }
    Optional<String> flag = spelling(name);
    if (flag.isPresent()) {
      throw new IllegalArgumentException(
          "--"
              + name
              + " is written --"
              + flag.get()
              + (RENAMED.containsValue(flag.get())
                  ? ", as in the other commands"
                  : " (options are kebab-case)"));
    }
    Optional<Option> close = options.closest(name);
    throw new IllegalArgumentException(
        "unknown option --"
            + name
            + close.map(near -> " (did you mean --" + near.flag() + "?)").orElse(""));
  }

  /**
   * The flag of an option written another way: a project option's Beam (camelCase) name, or the
   * kebab-case form of the Beam name of an option whose flag is the other commands' name ({@code
   * bootstrap-servers} for {@code --bootstrap}).
   */
  public static Optional<String> spelling(String name) {
    Option option = table().byProperty.get(name);
    if (option != null) {
      return Optional.of(option.flag());
    }
    return RENAMED.entrySet().stream()
        .filter(renamed -> kebab(renamed.getKey()).equals(name))
        .map(Map.Entry::getValue)
        .findFirst();
  }

  /**
   * Lists every option by flag, grouped by the interface that declares it: the credit job's, then
   * the runners' (Flink's first), then Beam's, each with its type, default and description.
   */
  public static void printHelp(PrintWriter out) {
    Map<Class<?>, List<Option>> groups = new TreeMap<>(Comparator.comparing(BeamFlags::rank));
    for (Option option : table().byFlag.values()) {
      if (!option.hidden()) {
        groups.computeIfAbsent(option.declaredBy(), key -> new ArrayList<>()).add(option);
      }
    }
    out.println(
        "The credit job's options, --name=value (Beam's and the runners' also under their Beam"
            + " names, e.g. --flinkMaster):");
    groups.forEach(
        (declaredBy, options) -> {
          out.printf("%n%s:%n", declaredBy.getName());
          options.sort(Comparator.comparing(Option::flag));
          for (Option option : options) {
            out.printf(
                "  --%s=<%s>%s%n",
                option.flag(),
                option.type().getSimpleName(),
                option
                    .defaultValue()
                    .map(value -> "  (default: " + (value.isEmpty() ? "\"\"" : value) + ")")
                    .orElse(""));
            if (!option.description().isEmpty()) {
              out.printf("      %s%n", option.description());
            }
          }
        });
    out.flush();
  }

  private static String rank(Class<?> declaredBy) {
    String name = declaredBy.getName();
    int order =
        name.startsWith(PROJECT_PACKAGE)
            ? 0
            : name.contains(".runners.flink.") ? 1 : name.contains(".runners.") ? 2 : 3;
    return order + name;
  }

  private static Table table() {
    Table current = table;
    if (current == null) {
      synchronized (BeamFlags.class) {
        current = table;
        if (current == null) {
          current = Table.build();
          table = current;
        }
      }
    }
    return current;
  }

  /** The options by flag and by Beam property, read from the registered options interfaces. */
  private record Table(Map<String, Option> byFlag, Map<String, Option> byProperty) {
    static Table build() {
      PipelineOptionsFactory.register(CreditPipelineOptions.class);
      List<Class<? extends PipelineOptions>> interfaces =
          new ArrayList<>(PipelineOptionsFactory.getRegisteredOptions());
      interfaces.add(CreditPipelineOptions.class);
      Map<String, Option> byProperty = new LinkedHashMap<>();
      for (Class<? extends PipelineOptions> options : interfaces) {
        for (Method getter : options.getMethods()) {
          property(options, getter)
              .ifPresent(
                  property -> byProperty.computeIfAbsent(property, name -> option(name, getter)));
        }
      }
      Map<String, Option> byFlag = new TreeMap<>();
      for (Option option : byProperty.values()) {
        Option clash = byFlag.put(option.flag(), option);
        if (clash != null) {
          throw new IllegalStateException(
              "Beam options "
                  + clash.property()
                  + " and "
                  + option.property()
                  + " would both be --"
                  + option.flag());
        }
      }
      return new Table(Map.copyOf(byFlag), Map.copyOf(byProperty));
    }

    Optional<Option> closest(String name) {
      String wanted = kebab(name);
      return byFlag.values().stream()
          .filter(option -> !option.hidden())
          .min(Comparator.comparingInt(option -> distance(wanted, option.flag())))
          .filter(option -> distance(wanted, option.flag()) <= Math.max(2, wanted.length() / 4));
    }

    private static Option option(String property, Method getter) {
      String flag = RENAMED.getOrDefault(property, kebab(property));
      Description description = getter.getAnnotation(Description.class);
      return new Option(
          property,
          flag,
          getter.getReturnType(),
          getter.getDeclaringClass(),
          getter.isAnnotationPresent(Hidden.class)
              || getter.getDeclaringClass().isAnnotationPresent(Hidden.class),
          description == null ? "" : description.value().replaceAll("\\s+", " ").strip(),
          defaultValue(getter));
    }

    private static Optional<String> property(Class<?> options, Method getter) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())) {
        return Optional.empty();
      }
      String name = getter.getName();
      String property =
          name.startsWith("get") && name.length() > 3
              ? name.substring(3)
              : name.startsWith("is") && name.length() > 2 ? name.substring(2) : null;
      if (property == null) {
        return Optional.empty();
      }
      try {
        options.getMethod("set" + property, getter.getReturnType());
      } catch (NoSuchMethodException e) {
        return Optional.empty();
      }
      return Optional.of(Character.toLowerCase(property.charAt(0)) + property.substring(1));
    }

    private static Optional<String> defaultValue(Method getter) {
      for (Annotation annotation : getter.getAnnotations()) {
        if (annotation.annotationType().getEnclosingClass() != Default.class) {
          continue;
        }
        if (annotation instanceof Default.InstanceFactory) {
          return Optional.of("computed");
        }
        if (annotation instanceof Default.Class value) {
          return Optional.of(value.value().getSimpleName());
        }
        try {
          return Optional.of(
              String.valueOf(annotation.annotationType().getMethod("value").invoke(annotation)));
        } catch (ReflectiveOperationException e) {
          return Optional.empty();
        }
      }
      return Optional.empty();
    }

    private static int distance(String a, String b) {
      int[] previous = new int[b.length() + 1];
      int[] current = new int[b.length() + 1];
      for (int j = 0; j <= b.length(); j++) {
        previous[j] = j;
      }
      for (int i = 1; i <= a.length(); i++) {
        current[0] = i;
        for (int j = 1; j <= b.length(); j++) {
          int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
          current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
        }
        int[] swap = previous;
        previous = current;
        current = swap;
      }
      return previous[b.length()];
    }
  }
}
