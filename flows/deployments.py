"""Every deployment of the engine: schedules, Vietnamese names and descriptions, tags.

`danvan up` serves them (one process); `danvan deploy --pool NAME` registers them to
a process work pool for `prefect worker start --pool NAME` on several machines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule
from prefect.types.entrypoint import EntrypointType

from danvan_workflow.timeutil import TZ_NAME
from flows import (
    cutoffs,
    daily_sweep,
    dashboards,
    dispatch_outbox,
    inspection_round,
    operator_actions,
    reporting_cycle,
)

SCHEDULED = ["danvan", "lich"]
OPERATOR = ["danvan", "thao-tac"]


@dataclass
class Spec:
    flow: Flow[..., Any]
    name: str
    description: str
    tags: list[str]
    schedules: list[Schedule] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)


def specs() -> list[Spec]:
    ops = operator_actions
    return [
        Spec(daily_sweep.daily_sweep, "Quét hằng ngày",
             "Mỗi ngày làm việc lúc 7:30: thêm hạn báo cáo, lập nhắc hạn, gửi thông báo, cập "
             "nhật bảng theo dõi. Ngày nghỉ chỉ gửi lại thông báo đến lượt.",
             SCHEDULED, [Cron("30 7 * * 1-6", timezone=TZ_NAME)]),
        Spec(dashboards.refresh_dashboards, "Cập nhật bảng theo dõi",
             "Cập nhật ngay các bảng theo dõi (tự chạy khi khởi động và sau mỗi thao tác).",
             OPERATOR),
        Spec(dispatch_outbox.dispatch_outbox, "Gửi thông báo định kỳ",
             "5 phút một lần: gửi các thông báo đến hạn và gửi lại thông báo lỗi.",
             SCHEDULED, [Interval(300, timezone=TZ_NAME)]),
        Spec(reporting_cycle.reporting_cycle, "Kỳ báo cáo",
             "Mỗi ngày 7:45: thông báo kỳ báo cáo mới mở cho đơn vị; khi hết hạn, tổng hợp "
             "tỷ lệ đúng hạn, đơn vị chưa nộp gửi nơi nhận. Gửi trên 200 thông báo cần duyệt.",
             SCHEDULED, [Cron("45 7 * * 1-6", timezone=TZ_NAME)]),
        Spec(cutoffs.cutoffs, "Mốc chốt cố định",
             "Trước các mốc 25/7, 20/11, 15/12, 31/12 (5 và 1 ngày làm việc) và đúng ngày: "
             "bảng đơn vị đã nộp / chưa nộp.",
             SCHEDULED, [Cron("40 7 * * 1-6", timezone=TZ_NAME)],
             {"lead_working_days": [5, 1]}),
        Spec(inspection_round.inspection_round_status, "Tình hình đợt kiểm tra",
             "Mỗi ngày 8:00: lượt kiểm tra đã/chưa có kết quả; nhắc khi gần hạn báo cáo.",
             SCHEDULED, [Cron("0 8 * * 1-6", timezone=TZ_NAME)]),
        Spec(inspection_round.open_inspection_round, "Mở đợt kiểm tra Dân vận khéo",
             "Tạo đợt kiểm tra, các đoàn và lượt kiểm tra; báo lịch cho đơn vị.", OPERATOR),
        Spec(ops.record_submission, "Ghi nhận báo cáo đã nộp",
             "Ghi ngày nhận và số văn bản của một báo cáo; tính đúng hạn / trễ hạn.", OPERATOR),
        Spec(ops.withdraw_submission, "Rút lại báo cáo đã ghi nhận",
             "Rút lại một báo cáo ghi nhận nhầm (lý do); hạn báo cáo chờ nộp trở lại.",
             OPERATOR),
        Spec(ops.change_deadline, "Gia hạn – miễn báo cáo",
             "Gia hạn (hạn mới, lý do), miễn nộp (lý do), hoặc hủy lần gia hạn / miễn nộp ghi "
             "nhầm.", OPERATOR),
        Spec(ops.request_report, "Yêu cầu báo cáo chuyên đề",
             "Yêu cầu các đơn vị báo cáo chuyên đề với hạn riêng.", OPERATOR),
        Spec(ops.register_model, "Đăng ký mô hình Dân vận khéo",
             "Đăng ký một mô hình “Dân vận khéo” (Bước 1).", OPERATOR),
        Spec(ops.model_event, "Duyệt mô hình",
             "Duyệt / không duyệt / bắt đầu / công nhận… một mô hình “Dân vận khéo”.", OPERATOR),
        Spec(ops.record_inspection_result, "Ghi kết quả kiểm tra",
             "Ghi kết quả một lượt kiểm tra của đợt kiểm tra.", OPERATOR),
        Spec(ops.record_score, "Chấm điểm thi đua",
             "Ghi điểm một tiêu chí thi đua của một đơn vị.", OPERATOR),
        Spec(ops.export_word_report, "Xuất báo cáo Word",
             "Báo cáo Word có thể thức văn bản (kế hoạch, kỳ báo cáo, đợt kiểm tra, thi đua, "
             "chỉ tiêu, địa bàn), điền từ số liệu đã ghi nhận.", OPERATOR),
        Spec(ops.confirm_claim, "Xác nhận báo nộp qua Zalo",
             "Đầu mối nhắn “đã nộp” qua Zalo: chọn báo nộp đang chờ, xác nhận để ghi nhận "
             "báo cáo.", OPERATOR),
        Spec(ops.reject_claim, "Bác bỏ báo nộp qua Zalo",
             "Báo “đã nộp” không đúng: bác bỏ, không ghi nhận gì.", OPERATOR),
        Spec(ops.send_test_notification, "Gửi thông báo thử",
             "Gửi thử đến một đầu mối qua các kênh đã cấu hình.", OPERATOR),
        Spec(ops.unit_status, "Xem tình hình một đơn vị",
             "Hạn quá hạn, sắp đến hạn, tỷ lệ đúng hạn, mô hình của một đơn vị.", OPERATOR),
    ]


def all_deployments() -> list[RunnerDeployment]:
    """Deployments for `serve` (entrypoints by module path: no working directory needed)."""
    return [cast(RunnerDeployment, s.flow.to_deployment(
        name=s.name, description=s.description, tags=s.tags, schedules=s.schedules or None,
        parameters=s.parameters or None, entrypoint_type=EntrypointType.MODULE_PATH))
        for s in specs()]
