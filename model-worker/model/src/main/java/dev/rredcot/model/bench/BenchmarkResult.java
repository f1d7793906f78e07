package dev.rredcot.model.bench;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Figures measured by {@link ModelBenchmark}; serialised as {@code summary.json}.
 *
 * @param genTokensPerSB1Kv generated tokens per second, batch 1, KV cache
 * @param genTokensPerSB1NoKv generated tokens per second, batch 1, whole sequence re-run per step
 * @param genTokensPerSB64Kv generated tokens per second in total, batch 64, KV cache
 * @param scoreTokensPerS scored token positions per second (batch 64)
 * @param valueBoundaryMsReuse milliseconds per boundary value, KV cache reused
 * @param valueBoundaryMsRerun milliseconds per boundary value, every prefix re-run
 * @param valueReuseSpeedup rerun time divided by reuse time
 * @param valueTokensPerBoundaryReuse forward tokens per boundary value with reuse
 * @param valueTokensPerBoundaryRerun forward tokens per boundary value when re-running
 * @param trainStepMsB64T64 milliseconds per PPO step on 64 traces of 64 tokens
 * @param params trainable parameters
 * @param peakRssMb peak resident memory of the JVM (VmHWM)
 * @param initialPolicyAccuracy share of fresh 4-step problems solved at temperature 1
 * @param accuracyProblems problems behind that share
 * @param model description of the {@code --model} measured beside the policy, or null
 * @param modelScoreTokensPerS that model's scored token positions per second, on as many sequences
 *     of the same lengths as the policy's scoring figure (NaN without a model)
 * @param genTokensPerCpuSB1Kv {@code genTokensPerSB1Kv} per second of the measuring thread's CPU
 *     time instead of wall time (PyTorch runs one intra-op thread, the caller's, so this is the
 *     work itself, whatever else shares the cores; NaN where the JVM has no thread CPU clock)
 * @param genTokensPerCpuSB1NoKv {@code genTokensPerSB1NoKv} per CPU second
 * @param genTokensPerCpuSB64Kv {@code genTokensPerSB64Kv} per CPU second
 * @param scoreTokensPerCpuS {@code scoreTokensPerS} per CPU second
 */
public record BenchmarkResult(
    @JsonProperty("gen_tokens_per_s_b1_kv") double genTokensPerSB1Kv,
    @JsonProperty("gen_tokens_per_s_b1_nokv") double genTokensPerSB1NoKv,
    @JsonProperty("gen_tokens_per_s_b64_kv") double genTokensPerSB64Kv,
    @JsonProperty("score_tokens_per_s") double scoreTokensPerS,
    @JsonProperty("value_boundary_ms_reuse") double valueBoundaryMsReuse,
    @JsonProperty("value_boundary_ms_rerun") double valueBoundaryMsRerun,
    @JsonProperty("value_reuse_speedup") double valueReuseSpeedup,
    @JsonProperty("value_tokens_per_boundary_reuse") double valueTokensPerBoundaryReuse,
    @JsonProperty("value_tokens_per_boundary_rerun") double valueTokensPerBoundaryRerun,
    @JsonProperty("train_step_ms_b64_t64") double trainStepMsB64T64,
    @JsonProperty("params") long params,
    @JsonProperty("peak_rss_mb") double peakRssMb,
    @JsonProperty("initial_policy_accuracy") double initialPolicyAccuracy,
    @JsonProperty("accuracy_problems") int accuracyProblems,
    @JsonProperty("model") String model,
    @JsonProperty("model_score_tokens_per_s") double modelScoreTokensPerS,
    @JsonProperty("gen_tokens_per_cpu_s_b1_kv") double genTokensPerCpuSB1Kv,
    @JsonProperty("gen_tokens_per_cpu_s_b1_nokv") double genTokensPerCpuSB1NoKv,
    @JsonProperty("gen_tokens_per_cpu_s_b64_kv") double genTokensPerCpuSB64Kv,
    @JsonProperty("score_tokens_per_cpu_s") double scoreTokensPerCpuS) {}
