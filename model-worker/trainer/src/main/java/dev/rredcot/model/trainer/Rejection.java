package dev.rredcot.model.trainer;

/**
 * Why the trainer sends a credited record to dead letters: a short label for the dead letter and
 * its counter, and the reason in words.
 *
 * @param label short label, e.g. {@code non-finite-advantage}
 * @param message why, in words
 */
record Rejection(String label, String message) {}
