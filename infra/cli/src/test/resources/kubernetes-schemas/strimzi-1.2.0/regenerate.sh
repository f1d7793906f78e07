#!/usr/bin/env bash
# Regenerates the Strimzi CRDs of this directory from Maven Central: Strimzi's own CRD generator
# (io.strimzi:crd-generator) run on the API classes (io.strimzi:api) with the arguments of the
# "generate-crd-co-install-v1" execution in that api jar's META-INF/maven/io.strimzi/api/pom.xml,
# the execution that writes the CRDs of Strimzi's release (packaging/install/cluster-operator).
# Strimzi 1.2.0 is compiled for Java 21: JAVA names a Java 21+ runtime (default: java on PATH).
# Usage: regenerate.sh [VERSION]   (then rename the directory if VERSION changed)
set -euo pipefail
version="${1:-1.2.0}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>strimzi-crds</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$version</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$version</version></dependency>
  </dependencies>
</project>
POM
(cd "$work" && mvn -B -q dependency:build-classpath -Dmdep.outputFile=classpath.txt)
"${JAVA:-java}" -cp "$(cat "$work/classpath.txt")" io.strimzi.crdgenerator.CrdGenerator \
  --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
  --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
  io.strimzi.api.kafka.model.kafka.Kafka="$here/040-Crd-kafka.yaml" \
  io.strimzi.api.kafka.model.topic.KafkaTopic="$here/043-Crd-kafkatopic.yaml" \
  io.strimzi.api.kafka.model.user.KafkaUser="$here/044-Crd-kafkauser.yaml" \
  io.strimzi.api.kafka.model.nodepool.KafkaNodePool="$here/045-Crd-kafkanodepool.yaml"
