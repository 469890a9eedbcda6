package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// maxSensorOutput bounds what a sensor command may print.
const maxSensorOutput = 64 << 10

// sensorLoop runs the domain's sensor_cmd at once and then each
// sensor_period. A failing command is logged and the loop goes on.
func (d *domain) sensorLoop(ctx context.Context) error {
	period := time.Duration(d.conf.SensorPeriod)
	for {
		if err := d.readSensor(ctx); err != nil && ctx.Err() == nil {
			d.logger().Warn("sensor_cmd failed; tried again next period", "event", "sensor_cmd_failed", "sensor_id", d.conf.SensorID, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.env.clock.After(period):
		}
	}
}

// readSensor runs sensor_cmd once (by sh -c, for at most one period) and
// takes its output as a reading: a number or any JSON value, such as
// {"queue_name": "work", "queue_length": 7}.
func (d *domain) readSensor(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d.conf.SensorPeriod))
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", d.conf.SensorCmd)
	var out, errOut limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("sensor_cmd: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	if out.overflow {
		return fmt.Errorf("sensor_cmd: more than %d bytes of output", maxSensorOutput)
	}
	text := strings.TrimSpace(out.String())
	var v any
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&v); err != nil || dec.More() {
		return fmt.Errorf("sensor_cmd: output %q is not a number or a JSON value", truncate(text, 200))
	}
	if v == nil {
		return fmt.Errorf("sensor_cmd: output is null")
	}
	_, err := d.ingestSensor(ctx, epu.Sensor{SensorID: d.conf.SensorID, Time: d.env.clock.Now().UnixMicro(), Value: v})
	return err
}

// limitedBuffer keeps the first maxSensorOutput bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxSensorOutput - b.Len(); len(p) > room {
		b.overflow = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
