package dev.rredcot.infra.config;

import dev.rredcot.pipelines.CreditPipelineOptions;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The names of every Beam option the credit job accepts: its own ({@link CreditPipelineOptions})
 * and those of every registered runner and SDK options interface, read from the interfaces'
 * getter/setter pairs so that an option added to any of them is known without a list to keep.
 */
public final class BeamOptionNames {
  private BeamOptionNames() {}

  /** Every option name, as written after {@code --}. */
  public static SortedSet<String> all() {
    PipelineOptionsFactory.register(CreditPipelineOptions.class);
    SortedSet<String> names = new TreeSet<>();
    for (Class<? extends PipelineOptions> options : PipelineOptionsFactory.getRegisteredOptions()) {
      names.addAll(of(options));
    }
    names.addAll(of(CreditPipelineOptions.class));
    return Collections.unmodifiableSortedSet(names);
  }

  /** The properties of one options interface (and the interfaces it extends). */
  static SortedSet<String> of(Class<? extends PipelineOptions> options) {
    SortedSet<String> names = new TreeSet<>();
    for (Method method : options.getMethods()) {
      if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())) {
        continue;
      }
      String name = method.getName();
      String property =
          name.startsWith("get") && name.length() > 3
              ? name.substring(3)
              : name.startsWith("is") && name.length() > 2 ? name.substring(2) : null;
      if (property != null && hasSetter(options, property, method.getReturnType())) {
        names.add(Character.toLowerCase(property.charAt(0)) + property.substring(1));
      }
    }
    return names;
  }

  private static boolean hasSetter(Class<?> options, String property, Class<?> type) {
    try {
      options.getMethod("set" + property, type);
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
