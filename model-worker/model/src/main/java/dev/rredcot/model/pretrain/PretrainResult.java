package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.Checkpoint;

/**
 * Outcome of a supervised warm-up.
 *
 * @param steps optimiser steps run
 * @param finalLoss mean per-token cross-entropy (nats) over the last steps
 * @param accuracy share of fresh evaluation problems solved at temperature 1 (NaN if skipped)
 * @param wallTimeMs total wall time including evaluation
 * @param parameterCount trainable parameters
 * @param checkpoint the written checkpoint, or null when no store was given
 */
public record PretrainResult(
    int steps,
    double finalLoss,
    double accuracy,
    long wallTimeMs,
    long parameterCount,
    Checkpoint checkpoint) {}
