import '../common/base.css';
