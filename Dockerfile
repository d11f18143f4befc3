# Build a static binary, then run it as a non-root user with /data as the
# only writable place (the bbolt store lives there).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# docker build --build-arg VERSION=v1.2.0 -t collabbot .   (`collabbot version` prints it;
# the commit comes from the build's VCS stamp when .git is in the context)
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/collabbot ./cmd/collabbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/collabbot /usr/local/bin/collabbot
COPY config.example.yaml /etc/collabbot/config.example.yaml
VOLUME /data
WORKDIR /data
USER nonroot:nonroot
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/collabbot"]
CMD ["run", "-config", "/etc/collabbot/config.yaml"]
