package dev.rredcot.model.task;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;

/**
 * A verifier plugged into a {@link JsonlTaskFamily} by class name (the family file's {@code
 * reward_class}): it grades a trace whose answer the family has found, in place of the family's
 * {@link AnswerMatch}. Every process that verifies rewards (rollout worker, the credit job's
 * contract, the credit endpoint) loads the same class from its classpath, so a reward is the same
 * wherever it is computed.
 *
 * <p>An implementation is a public class with a public no-argument constructor; it must be
 * deterministic and thread-safe (one instance grades every trace of its family) and give a reward
 * of 0 or 1. {@link NumberWordReward} is the example.
 */
public interface RewardFunction {

  /**
   * Grades {@code trace}.
   *
   * @param referenceAnswer the problem's reference answer, trimmed
   * @param answer the trace's answer: the text after the family's last answer cue up to the end of
   *     that line, trimmed; never empty (a trace without one is malformed before this is called)
   * @param trace the whole trace, for verifiers that check more than the answer
   * @return {@link Verification#correct}, {@link Verification#wrong} or {@link
   *     Verification#malformed}
   */
  Verification verify(String referenceAnswer, String answer, String trace);

  /**
   * Creates the reward function called {@code className} with its no-argument constructor, from the
   * context class loader (else this interface's).
   *
   * @throws IllegalArgumentException naming the class and what is wrong with it: not found, not a
   *     {@code RewardFunction}, no public no-argument constructor, or its constructor failed
   */
  static RewardFunction load(String className) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = RewardFunction.class.getClassLoader();
    }
    Class<?> type;
    try {
      type = Class.forName(className, true, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalArgumentException(
          "reward class " + className + " is not on the classpath (" + e + ")", e);
    }
    if (!RewardFunction.class.isAssignableFrom(type)) {
      throw new IllegalArgumentException(
          "reward class " + className + " does not implement " + RewardFunction.class.getName());
    }
    try {
      Constructor<?> constructor = type.getConstructor();
      return (RewardFunction) constructor.newInstance();
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "reward class " + className + " has no public no-argument constructor", e);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(
          "reward class " + className + " failed to construct: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(
          "reward class " + className + " cannot be instantiated: " + e, e);
    }
  }
}
