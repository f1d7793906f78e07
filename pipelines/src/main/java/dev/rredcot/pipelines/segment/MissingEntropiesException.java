package dev.rredcot.pipelines.segment;

/** An entropy-based segmentation was asked for a rollout that carries no per-token entropies. */
public final class MissingEntropiesException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public MissingEntropiesException(String message) {
    super(message);
  }
}
