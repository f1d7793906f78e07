package dev.rredcot.model.backend.endpoint;

import java.io.Serializable;
import java.time.Duration;

/**
 * How {@link CompletionsBackend} calls an OpenAI-compatible completions server: sequences per
 * request, timeout, retries, whether prompts go as token ids, and the top-k used for entropies.
 * Built and validated by {@link Builder#build()}.
 */
public final class EndpointSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int batchSize;
  private final long timeoutMillis;
  private final int retries;
  private final long backoffMillis;
  private final boolean tokenIdPrompts;
  private final int maxTokens;
  private final int entropyTopK;
  private final String modelName;
  private final int maxContext;
  private final boolean allowInsecureHttp;

  private EndpointSettings(Builder builder) {
    this.batchSize = builder.batchSize;
    this.timeoutMillis = builder.timeoutMillis;
    this.retries = builder.retries;
    this.backoffMillis = builder.backoffMillis;
    this.tokenIdPrompts = builder.tokenIdPrompts;
    this.maxTokens = builder.maxTokens;
    this.entropyTopK = builder.entropyTopK;
    this.modelName = builder.modelName;
    this.maxContext = builder.maxContext;
    this.allowInsecureHttp = builder.allowInsecureHttp;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The defaults (see {@link Builder}). */
  public static EndpointSettings defaults() {
    return builder().build();
  }

  /**
   * Whether a plain-http server on a host that is not loopback may be used ({@link
   * ModelServerUrls}); off by default.
   */
  public boolean allowInsecureHttp() {
    return allowInsecureHttp;
  }

  /** Most sequences per completions request. */
  public int batchSize() {
    return batchSize;
  }

  /** Timeout of one HTTP request. */
  public Duration timeout() {
    return Duration.ofMillis(timeoutMillis);
  }

  /** Retries after a failed request (connection error, timeout, HTTP 429 or 5xx). */
  public int retries() {
    return retries;
  }

  /** Wait before the first retry; doubled before each further one. */
  public Duration backoff() {
    return Duration.ofMillis(backoffMillis);
  }

  /** Send prompts as token ids (vLLM, SGLang, {@code rredcot serve}); else as text. */
  public boolean tokenIdPrompts() {
    return tokenIdPrompts;
  }

  /** {@code max_tokens} of scoring requests: 0, or 1 for servers that refuse 0 (ignored). */
  public int maxTokens() {
    return maxTokens;
  }

  /**
   * {@code logprobs} top-k for entropies; 0: the backend has no entropies unless the server gives
   * exact ones ({@code rredcot serve} does).
   */
  public int entropyTopK() {
    return entropyTopK;
  }

  /** The {@code model} field of requests; empty: the first model the server lists. */
  public String modelName() {
    return modelName;
  }

  /** Positions per sequence; 0: the server's {@code max_model_len} from {@code /v1/models}. */
  public int maxContext() {
    return maxContext;
  }

  /**
   * Builder; defaults: 16 sequences per request, 60 s timeout, 3 retries from 0.5 s, token-id
   * prompts, {@code max_tokens} 0, no top-k entropies, the server's first model.
   */
  public static final class Builder {
    private int batchSize = 16;
    private long timeoutMillis = 60_000;
    private int retries = 3;
    private long backoffMillis = 500;
    private boolean tokenIdPrompts = true;
    private int maxTokens = 0;
    private int entropyTopK = 0;
    private String modelName = "";
    private int maxContext = 0;
    private boolean allowInsecureHttp;

    public Builder optBatchSize(int value) {
      this.batchSize = value;
      return this;
    }

    public Builder optTimeout(Duration value) {
      this.timeoutMillis = value.toMillis();
      return this;
    }

    public Builder optRetries(int value) {
      this.retries = value;
      return this;
    }

    public Builder optBackoff(Duration value) {
      this.backoffMillis = value.toMillis();
      return this;
    }

    public Builder optTokenIdPrompts(boolean value) {
      this.tokenIdPrompts = value;
      return this;
    }

    public Builder optMaxTokens(int value) {
      this.maxTokens = value;
      return this;
    }

    public Builder optEntropyTopK(int value) {
      this.entropyTopK = value;
      return this;
    }

    public Builder optModelName(String value) {
      this.modelName = value == null ? "" : value;
      return this;
    }

    /** Allow plain http to a host that is not loopback (see {@link ModelServerUrls}). */
    public Builder optAllowInsecureHttp(boolean value) {
      this.allowInsecureHttp = value;
      return this;
    }

    public Builder optMaxContext(int value) {
      this.maxContext = value;
      return this;
    }

    /** Validates; messages name the setting. */
    public EndpointSettings build() {
      if (batchSize <= 0) {
        throw new IllegalArgumentException("endpoint batch size must be > 0, got " + batchSize);
      }
      if (timeoutMillis <= 0) {
        throw new IllegalArgumentException("endpoint timeout must be > 0");
      }
      if (retries < 0 || backoffMillis < 0) {
        throw new IllegalArgumentException("endpoint retries and backoff must be >= 0");
      }
      if (maxTokens != 0 && maxTokens != 1) {
        throw new IllegalArgumentException("endpoint max_tokens must be 0 or 1, got " + maxTokens);
      }
      if (maxContext < 0) {
        throw new IllegalArgumentException("endpoint max context must be >= 0, got " + maxContext);
      }
      if (entropyTopK < 0) {
        throw new IllegalArgumentException("entropy top-k must be >= 0, got " + entropyTopK);
      }
      return new EndpointSettings(this);
    }
  }
}
