package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * What {@link PolicyTraining} needs of a causal language model to train it: its sequence layout, a
 * forward pass over a {@link PaddedBatch} that records gradients inside a {@code
 * GradientCollector}, and the parameters the optimiser updates. The built-in transformer and the
 * DJL Llama both implement it, so both train with one objective and one optimiser.
 */
public interface TrainableNetwork {

  /**
   * The model input for a trace: {@code [bos] + tokens(prompt) + trace}, as the model scores it.
   */
  int[] context(String prompt, int[] trace);

  /** Most positions one sequence may have. */
  int maxContext();

  /** The id padding columns hold. */
  int padId();

  /**
   * (rows, width, vocab) logits of every column of {@code batch}, created in {@code manager}; a
   * padding column attends to nothing a real column would see, and no real column attends to
   * padding.
   */
  NDArray logits(NDManager manager, PaddedBatch batch);

  /**
   * Every trained parameter by a stable name, each requiring gradients; a tied weight (a tied
   * output embedding) appears once, so the optimiser moves one array for both uses.
   */
  Map<String, NDArray> parameters();

  /** The manager owning the parameters; steps work in sub-managers of it. */
  NDManager parameterManager();
}
