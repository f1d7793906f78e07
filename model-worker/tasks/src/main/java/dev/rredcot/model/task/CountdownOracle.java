package dev.rredcot.model.task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exact reachability for countdown: whether a target can still be made from a multiset of available
 * numbers with the family's moves, by exhaustive search with memoisation.
 *
 * <p>A move replaces two available numbers {@code a >= b} by {@code a+b}, {@code a*b}, {@code a-b}
 * (only when positive) or {@code a/b} (only when exact), so every available number stays a positive
 * integer; the target is reached when it is one of the available numbers. The memo (by sorted
 * numbers and target) is shared across calls, which keeps six-number searches cheap. Thread-safe.
 */
public final class CountdownOracle {

  /** The memo is dropped when it grows past this many states, bounding memory on long runs. */
  private static final int MAX_MEMO = 2_000_000;

  private final Map<Key, Boolean> reachable = new ConcurrentHashMap<>();
  private final Map<Key, Boolean> reachableWithin = new ConcurrentHashMap<>();

  /** Whether {@code target} is available now or can be made from {@code numbers}. */
  public boolean reachable(List<Long> numbers, long target) {
    return reachable(sorted(numbers), target);
  }

  /**
   * The fewest moves that make {@code target} from {@code numbers} (0 when it is already
   * available), or empty when it cannot be made.
   */
  public OptionalInt shortestSolution(List<Long> numbers, long target) {
    long[] state = sorted(numbers);
    if (!reachable(state, target)) {
      return OptionalInt.empty();
    }
    for (int moves = 0; ; moves++) {
      if (reachableWithin(state, target, moves)) {
        return OptionalInt.of(moves);
      }
    }
  }

  /**
   * Every move allowed from {@code numbers}, each once per distinct pair of values, larger operand
   * first.
   */
  public static List<Move> moves(List<Long> numbers) {
    long[] state = sorted(numbers);
    List<Move> moves = new ArrayList<>();
    Set<List<Long>> pairs = new HashSet<>();
    for (int i = 0; i < state.length; i++) {
      for (int j = i + 1; j < state.length; j++) {
        long b = state[i];
        long a = state[j];
        if (!pairs.add(List.of(a, b))) {
          continue; // the same pair of values was already listed
        }
        for (char op : OPERATORS) {
          Long result = apply(a, op, b);
          if (result != null) {
            moves.add(new Move(a, op, b, result));
          }
        }
      }
    }
    return moves;
  }

  /** Operators of the family, in the order moves are listed. */
  static final char[] OPERATORS = {'+', '-', '*', '/'};

  /**
   * The result of {@code a op b}, or null when the move is not allowed (non-positive difference,
   * inexact division, overflow).
   */
  static Long apply(long a, char op, long b) {
    try {
      return switch (op) {
        case '+' -> Math.addExact(a, b);
        case '-' -> a > b ? a - b : null;
        case '*' -> Math.multiplyExact(a, b);
        case '/' -> b != 0 && a % b == 0 ? a / b : null;
        default -> null;
      };
    } catch (ArithmeticException overflow) {
      return null;
    }
  }

  private boolean reachable(long[] state, long target) {
    for (long n : state) {
      if (n == target) {
        return true;
      }
    }
    if (state.length < 2) {
      return false;
    }
    Key key = new Key(state, target, -1);
    Boolean known = reachable.get(key);
    if (known != null) {
      return known;
    }
    boolean found = false;
    for (long[] next : successors(state)) {
      if (reachable(next, target)) {
        found = true;
        break;
      }
    }
    remember(reachable, key, found);
    return found;
  }

  private boolean reachableWithin(long[] state, long target, int moves) {
    for (long n : state) {
      if (n == target) {
        return true;
      }
    }
    if (moves == 0 || state.length < 2) {
      return false;
    }
    Key key = new Key(state, target, moves);
    Boolean known = reachableWithin.get(key);
    if (known != null) {
      return known;
    }
    boolean found = false;
    for (long[] next : successors(state)) {
      if (reachableWithin(next, target, moves - 1)) {
        found = true;
        break;
      }
    }
    remember(reachableWithin, key, found);
    return found;
  }

  private static List<long[]> successors(long[] state) {
    List<long[]> next = new ArrayList<>();
    for (int i = 0; i < state.length; i++) {
      for (int j = i + 1; j < state.length; j++) {
        for (char op : OPERATORS) {
          Long result = apply(state[j], op, state[i]);
          if (result != null) {
            next.add(replace(state, i, j, result));
          }
        }
      }
    }
    return next;
  }

  /** {@code state} without positions {@code i} and {@code j}, plus {@code result}, sorted. */
  static long[] replace(long[] state, int i, int j, long result) {
    long[] next = new long[state.length - 1];
    int k = 0;
    for (int p = 0; p < state.length; p++) {
      if (p != i && p != j) {
        next[k++] = state[p];
      }
    }
    next[k] = result;
    Arrays.sort(next);
    return next;
  }

  private static long[] sorted(List<Long> numbers) {
    long[] state = new long[numbers.size()];
    for (int i = 0; i < state.length; i++) {
      state[i] = numbers.get(i);
    }
    Arrays.sort(state);
    return state;
  }

  private static void remember(Map<Key, Boolean> memo, Key key, boolean value) {
    if (memo.size() > MAX_MEMO) {
      memo.clear();
    }
    memo.put(key, value);
  }

  /**
   * One move: {@code left op right = result}, written {@code "50+25=75"}.
   *
   * @param left the left operand (the larger one in moves the oracle lists)
   * @param operator one of {@code + - * /}
   * @param right the right operand
   * @param result the value the move makes available
   */
  public record Move(long left, char operator, long right, long result) {

    /** The step line with its newline, e.g. {@code "50+25=75\n"}. */
    public String line() {
      return Long.toString(left) + operator + right + '=' + result + '\n';
    }
  }

  private record Key(long[] state, long target, int moves) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && k.target == target
          && k.moves == moves
          && Arrays.equals(k.state, state);
    }

    @Override
    public int hashCode() {
      return (Arrays.hashCode(state) * 31 + Long.hashCode(target)) * 31 + moves;
    }
  }
}
