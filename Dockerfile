# quant in a container: the quantize CLI on Debian 12 with nothing else to set up.
#   docker build -t quant .
#   docker run --rm -v "$PWD:/data" quant optimize /data/model.onnx --calib /data/calib -o /data/model.q.onnx
# The build stage installs the build dependencies (scripts/install-deps.sh --build-only), builds
# without the test suite and installs to /usr/local; the image keeps the runtime libraries only.
FROM debian:12 AS build
COPY . /src
WORKDIR /src
RUN bash scripts/install-deps.sh --build-only \
 && cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DQUANT_BUILD_TESTS=OFF \
 && cmake --build /build -j "$(nproc)" --target quantize \
 && cmake --install /build --prefix /usr/local

FROM debian:12
# The shared libraries quantize links (ldd build/apps/quantize | dpkg -S on Debian 12).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libdnnl2 libfmt9 libgomp1 libonnx1 libprotobuf32 libspdlog1.10 libstb0 zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/quantize /usr/local/bin/quantize
COPY --from=build /usr/local/share/bash-completion/completions/quantize /usr/share/bash-completion/completions/quantize
WORKDIR /data
ENTRYPOINT ["quantize"]
CMD ["--help"]
